"""Running models and the judge panel through litellm: `rater generate` and `rater judge`.

Nothing here imports litellm at module level: it costs seconds at import
and tries the network. ``calls`` imports it inside the function that makes
a call, after pointing litellm at its bundled cost map.

- ``config``    models.toml / panel.toml entries (API keys stay in the environment)
- ``prompts``   the prompt files in scenarios/prompts and the judge's JSON schema
- ``calls``     one litellm call with timeout, retries, backoff and rate limits
- ``runner``    the concurrent, resumable loop both commands share
- ``generate``  models answer scenarios -> responses
- ``judge``     the panel scores answers -> judgments, with tolerant parsing
- ``panel``     the panel aggregate per axis, for the app and the agreement engine
- ``progress``  counts, failures, ETA and cost on stderr
"""
