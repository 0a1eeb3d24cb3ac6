"""rater: clinicians rate LLM therapy transcripts next to an LLM-judge panel.

The core (everything outside ``rater.ui``) never imports Textual or litellm at
module level, so the CLI, the agreement engine and the exports start fast.
"""

__version__ = "0.1.0"
