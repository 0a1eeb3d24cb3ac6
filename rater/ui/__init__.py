"""The rating app (Textual). The only part of rater that imports Textual."""
