"""Built-in word lists for the local moderation detectors.

Stored ROT13-encoded so the source stays readable in code review and search results;
``decoded`` turns them back into plain lowercase words at import time. The lists are
deliberately small: owners who need more use an LLM provider.
"""

from __future__ import annotations

import codecs


def decoded(encoded: str) -> frozenset[str]:
    return frozenset(codecs.decode(encoded, "rot13").split())


PROFANITY = decoded("shpx fuvg ovgpu phag nffubyr onfgneq zbgureshpxre ohyyfuvg jnaxre gjng cevpx")
# Roots that also swear as the start of a longer word (the -ing, -er, -y forms).
PROFANITY_ROOTS = decoded("shpx fuvg ovgpu phag")
SLURS = decoded("avttre avttn snttbg snt ergneq genaal xvxr fcvp puvax jrgonpx")
NSFW = decoded("cbea cbeab cbeauho uragnv ahqrf kkk baylsnaf obbof gvgf oybjwbo qvyqb")
