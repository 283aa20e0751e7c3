"""Pulling an earner's badges from another backpack: a wallet backup, the Displayer API.

A pull first lists what the other side holds (`sources`), within caps on pages, items and
bytes, and only then writes: a remote that misbehaves part of the way (an endless `Link`
chain, HTML for JSON, a private address) ends the pull with its reason and nothing stored.
Each listed badge is then verified again by this server's own verifier through the one
intake (`receive_badge(..., source="pull")`), whatever the other side said of it.
"""
