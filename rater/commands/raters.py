"""`rater raters`: add raters, give each a personal link for `rater serve`, revoke links."""

from __future__ import annotations

import click

from rater.cliutil import db_option, open_store
from rater.literal import shown


@click.group()
def raters() -> None:
    """Add raters and manage their personal links for `rater serve` (rating in the browser)."""


@raters.command("add")
@click.argument("name")
@click.option("--role", default=None, metavar="ROLE",
              help="e.g. psychologist, psychiatrist, nurse; 'adjudicator' or 'lead' may adjudicate.")
@click.option("--credentials", default=None, metavar="TEXT", help="e.g. 'PhD, 12 years PE'.")
@db_option
def add(name: str, role: str | None, credentials: str | None, db_path: str | None) -> None:
    """Add rater NAME (or change their role or credentials)."""
    from rater.serve.links import add_rater

    store = open_store(db_path)
    _, created = add_rater(store, name, role, credentials)
    click.echo(f"{'added' if created else 'updated'} rater {shown(name.strip())}"
               + ("" if not created else f"; give them a link: rater raters link '{shown(name.strip())}'"))


@raters.command("list")
@db_option
def list_(db_path: str | None) -> None:
    """Every rater: role, credentials, ratings, their link, and whether they are connected now."""
    from rater.serve.links import connected, link_states

    store = open_store(db_path)
    states = link_states(store)
    online = {row[0] for row in connected(store)}
    rows = [("name", "role", "credentials", "ratings", "link", "")]
    for rid, name, role, cred, n in store.conn.execute(
            "SELECT r.id, r.name, r.role, r.credentials, count(g.id) FROM raters r "
            "LEFT JOIN ratings g ON g.rater_id = r.id GROUP BY r.id ORDER BY r.name"):
        rows.append((shown(name), shown(role), shown(cred), str(n), states.get(rid, "none"),
                     "connected" if name in online else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


@raters.command("link")
@click.argument("name")
@click.option("--expires", "days", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, metavar="DAYS", help="The link stops working after DAYS days.")
@click.option("--url", "base", default=None, metavar="URL",
              help="The address clinicians open, e.g. https://rating.example.org "
                   "(default: what the last `rater serve` on this database announced, "
                   "else http://127.0.0.1:8000).")
@db_option
def link(name: str, days: float, base: str | None, db_path: str | None) -> None:
    """Print a personal link for NAME to open `rater serve` in a browser.

    \b
    Anyone holding the link can rate as NAME: send it to NAME alone, by a
    channel you would use for a password. The database keeps only a hash of
    it, so it cannot be shown again: run this again for a new one (the old
    one then stops working). `rater raters revoke NAME` ends it.
    """
    from rater.serve.links import base_url, issue_link

    store = open_store(db_path)
    url, expires, ended = issue_link(store, name, days=days, base=base_url(store, base))
    click.echo(url)
    when = f"until {expires[:16].replace('T', ' ')} UTC" if expires else "with no expiry"
    click.echo(f"Personal link for {shown(name.strip())}, valid {when}. Anyone with it can rate as "
               f"{shown(name.strip())}: send it to them alone."
               + (" Their earlier link no longer works." if ended else ""), err=True)


@raters.command("revoke")
@click.argument("name")
@db_option
def revoke(name: str, db_path: str | None) -> None:
    """End NAME's links; a running `rater serve` closes their sessions within seconds (drafts kept)."""
    from rater.serve.links import revoke as revoke_links

    store = open_store(db_path)
    n = revoke_links(store, name)
    click.echo(f"{shown(name.strip())}: {n} active link(s) revoked" if n
               else f"{shown(name.strip())}: no active link to revoke")


COMMANDS = [raters]
