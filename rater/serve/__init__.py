"""`rater serve`: the rating app in clinicians' browsers, one app process per browser session.

``links``   personal links (tokens: only their hash is stored) and the server's session table;
            standard library only, so `rater raters` and `rater status` stay fast.
``server``  the aiohttp server (imported only by `rater serve`).
``child``   what each session's app process runs (``python -m rater.serve.child``).
``roles``   which app a rater gets (rating, or adjudication for roles that allow it);
            the apps themselves are in rater.ui.served (the only part that imports Textual).
"""
