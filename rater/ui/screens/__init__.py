"""The app's screens: rating, queue, help, rater picker and siblings."""
