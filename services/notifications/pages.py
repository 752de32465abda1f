"""The two small HTML pages behind a reply link (bilingual, no scripts)."""

from __future__ import annotations

from html import escape

from services.notifications.domain.replies import ReplyGrant

_STYLE = "font-family:sans-serif;max-width:40em;margin:2em auto"


def reply_form(grant: ReplyGrant, sites: list[str]) -> str:
    """A form, so that a mail scanner opening the link records nothing; only the POST does."""
    options = "".join(f'<option value="{escape(s)}">{escape(s)}</option>' for s in sites)
    return f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>Reactie / Reply — Groeiruimte</title></head><body style="{_STYLE}">
<h1>Reactie op case / Reply about case</h1>
<p>Case <code>{escape(str(grant.case_id))}</code>, {escape(grant.recipient)}</p>
<form method="post">
<p><label><input type="radio" name="response" value="offer" required> Aanbod / Offer</label><br>
<label><input type="radio" name="response" value="decline"> Past niet / Decline</label></p>
<p><label>Locatie / Site<br><select name="site_id"><option value="">(de case als geheel / the case as a whole)</option>
{options}</select></label></p>
<p><label>Toelichting / Message<br><textarea name="message" rows="6" cols="60" maxlength="2000"></textarea></label></p>
<p><button type="submit">Versturen / Send</button></p>
</form></body></html>"""


def reply_thanks(result) -> str:
    what = "aanbod / offer" if result.response == "offer" else "afwijzing / decline"
    return f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Dank u / Thank you</title></head>
<body style="{_STYLE}"><h1>Dank u / Thank you</h1>
<p>Uw {escape(what)} voor case <code>{escape(str(result.case_id))}</code> is vastgelegd.
De coördinator neemt contact met u op. / Your answer has been recorded; the coordinator will be in touch.</p>
</body></html>"""
