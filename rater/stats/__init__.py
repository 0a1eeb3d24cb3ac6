"""Agreement statistics (numpy only; no Textual, litellm or pandas).

Import from the submodules, e.g. ``from rater.stats.alpha import alpha, bootstrap``.
Nothing is re-exported here: a re-exported function ``alpha`` would shadow the
submodule ``rater.stats.alpha`` as an attribute of this package.
"""
