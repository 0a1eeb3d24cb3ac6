"""`rater serve`: the rating app in clinicians' browsers, one process per browser session."""

from __future__ import annotations

import click

from rater.cliutil import db_option, open_store


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this machine (loopback) needs --tls-cert/--tls-key "
                   "or --behind-proxy.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Serve HTTPS with this PEM certificate (chain).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The certificate's private key (PEM).")
@click.option("--behind-proxy", is_flag=True,
              help="A TLS-terminating proxy (Caddy, nginx) is in front: cookies are marked Secure and "
                   "the client address comes from X-Forwarded-For.")
@click.option("--public-url", metavar="URL", default=None,
              help="The address clinicians open (e.g. https://rating.example.org), used in their links.")
@click.option("--max-sessions", type=click.IntRange(min=1), default=16, show_default=True,
              help="Browser sessions at once; one more is told to try again shortly.")
@click.option("--idle-minutes", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="End a session after this long without a key (its draft is kept).")
@click.option("--show-judges", is_flag=True,
              help="Show the judges from the start instead of after each rater's own rating.")
@click.option("--show-models", is_flag=True, help="Show which model wrote each answer.")
def serve(db_path: str | None, host: str, port: int, tls_cert: str | None, tls_key: str | None,
          behind_proxy: bool, public_url: str | None, max_sessions: int, idle_minutes: float,
          show_judges: bool, show_models: bool) -> None:
    """Serve the rating app to browsers: each clinician opens their personal link.

    \b
    1. rater raters add "Dr Ada Lovelace" --role psychologist --db study.db
    2. rater raters link "Dr Ada Lovelace" --db study.db    (send them the link)
    3. rater serve --db study.db
    The same screens, keys, drafts and saving as `rater rate`. Listens on this
    machine only unless given --tls-cert/--tls-key or --behind-proxy.
    Ctrl+C stops the server and ends every session; drafts are kept.
    """
    from rater.serve.links import check_link_base
    from rater.serve.server import ServeConfig, check_exposure
    from rater.serve.server import serve as run

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together: give both")
    check_exposure(host, tls=bool(tls_cert), behind_proxy=behind_proxy)
    if public_url:
        public_url = check_link_base(public_url, "--public-url")
    store = open_store(db_path)
    store.rubric()  # no rubric: a clear error now rather than in every browser
    config = ServeConfig(db=store.path, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key,
                         behind_proxy=behind_proxy, public_url=public_url, max_sessions=max_sessions,
                         idle_seconds=idle_minutes * 60, blind=not show_judges, show_models=show_models)
    try:
        run(config, store, announce=lambda line: click.echo(line))
    finally:
        store.close()


COMMANDS = [serve]
