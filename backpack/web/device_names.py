"""A log-in's browser and system in words a person recognises ("Firefox on Windows"),
read from the User-Agent its browser sent; the raw string means nothing to most people.

ua-parser (with the regexes of ua-parser-builtins) does the reading; this module only says
its findings in the words the security page uses.
"""

from __future__ import annotations

import functools

import ua_parser
from ua_parser import Domain

# Distinct User-Agent strings remembered per process: parsing one runs a few hundred regexes
# (under a millisecond), a remembered one costs a dictionary look-up, and a page lists every
# session of the account.
PARSED_AGENTS_KEPT = 2000

# ua-parser's names, where people know the thing by another: a browser's phone build is the
# same browser to its owner, and an app's built-in browser is not the browser it borrows.
BROWSERS = {
    "Mobile Safari": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "Mobile Safari UI/WKWebView": "An app's browser",
    "Chrome Mobile WebView": "An app's browser",
}
SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# On iOS the device says more than the system: people say "my iPhone", not "my iOS".
APPLE_DEVICES = frozenset({"iPhone", "iPad", "iPod"})
UNKNOWN = "Unknown browser"


@functools.cache
def _parser() -> ua_parser.Parser:
    """The process's one parser, built on first use (loading the regexes takes ~0.1 s)."""
    resolver = ua_parser.BasicResolver(ua_parser.load_builtins())
    return ua_parser.Parser(
        ua_parser.CachingResolver(resolver, ua_parser.Cache(PARSED_AGENTS_KEPT))
    )


def device_name(user_agent: str | None) -> str:
    """Name a browser and its system from a User-Agent string, as plainly as it allows."""
    text = user_agent or ""
    parsed = _parser()(text, Domain.USER_AGENT | Domain.OS)
    browser = parsed.user_agent and BROWSERS.get(parsed.user_agent.family, parsed.user_agent.family)
    system = parsed.os and SYSTEMS.get(parsed.os.family, parsed.os.family)
    if system == "iOS":
        # Asked only here: the device regexes are the slowest, and only Apple's name is shown.
        device = _parser().parse_device(text)
        if device and device.family in APPLE_DEVICES:
            system = device.family
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return UNKNOWN
