"""English phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="en",
    people=(
        r"humans?|human beings?|persons?|real people|actual people|agents?|representatives?|reps?|"
        r"operators?|customer (?:service|support|care)(?: team| agent| rep)?|(?:someone|somebody|anyone|"
        r"anybody) (?:real|human|(?:from|on|in) (?:the |your )?(?:\w+ )?(?:team|support|staff|billing|"
        r"mods|admins|moderation|devs))|live (?:chat|support)|human (?:support|help|assistance)"
    ),
    roles=(
        r"staff(?: members?)?|staffers?|moderators?|mods?|admins?|administrators?|managers?|supervisors?|"
        r"support(?: team| staff| agents?)?|team members?|employees?|devs?|developers?|owners?|boss|"
        r"(?:mod|admin|support|staff|dev|billing|sales|tech|technical|customer|account|success) team"
    ),
    anyone=(r"someone|somebody|anyone|anybody|(?:the |your )?team|you guys"),
    articles=(
        r"a|an|the|some|any|your|one of (?:the|your)|real|actual|live|human|proper|server|discord|"
        r"community|billing|tech|technical|customer|another"
    ),
    required_articles=(r"a|an|the|some|any|your|one of (?:the|your)|another"),
    talk=(
        r"(?:talk|talking|speak|speaking|chat|chatting|have a word|get in touch|be in touch|"
        r"get through)\s+(?:to|with)"
    ),
    want=(
        r"want|wanna|need|get|give|bring|send|call|ping|page|dm|fetch|summon|request|prefer|contact|reach|"
        r"ask for|i'd like|i would like|rather have|connect me (?:to|with)|connect with|"
        r"transfer me (?:over )?to|transfer to|put me (?:through|in touch|in contact) (?:to|with)|"
        r"pass me (?:over )?to|hand me (?:over )?to|forward me to|redirect me to|escalate (?:this |it |"
        r"me )?to|hook me up with|paging|calling|find|report (?:this |it |him |her |them |that )?to|"
        r"complain to|(?:file|make|lodge|raise) a complaint (?:with|to)|"
        r"(?:forward|send|pass|escalate) (?:this|it|that|"
        r"my (?:issue|ticket|case|question)) (?:on |over )?to"
    ),
    please=(r"please|asap"),
    is_there=(r"(?:is|are)(?:\s+there)?|any|where (?:is|are)"),
    available=(
        r"around|online|available|here|awake|on|there|active|about|on duty|on shift|(?:that |who )?(?:i|"
        r"we) can (?:talk|speak|chat)|to talk to|(?:who|that) can (?:help|check|look)"
    ),
    help_from=(r"(?:help|assistance|support|answer) from"),
    negations=(
        r"\bdon't|\bdont|\bdo not|\bdoesn't|\bdidn't|\bno need (?:to|for)|\bnever|\bnot|\bwithout|\bwon't|"
        r"\bwouldn't|\bno longer"
    ),
    advice=(
        r"\b(?:you|they|he|she|we|people|members)\s+(?:should|could|can|need to|have to|might want to|"
        r"may want to|gotta|must|ought to|better)|\bgo"
    ),
    frustration=(
        r"\b(?:this|that|it|you|this bot|the bot)(?: is|'s| are|'re)? not helping\b",
        r"\bgoing (?:round )?in circles\b",
        r"\b(?:same|useless|stupid) (?:link|faq|article|message|text) again\b",
        r"\b(?:so |totally |really )?(?:done|fed up) with (?:this|you|the|your) ?(?:bot|ai|assistant)?\b",
        r"\byou(?:'re| are) (?:so |really |completely )?hopeless\b",
        r"\b(?:this|the|your|you|stupid|dumb|useless)\s+(?:bot|ai|assistant|thing)\s+(?:is\s+)?(?:so\s+|"
        r"really\s+|totally\s+|completely\s+|fucking\s+|just\s+)?(?:useless|dumb|stupid|pointless|garbage|"
        r"trash|worthless|terrible|awful|crap|shit|broken)\b",
        r"\b(?:useless|stupid|dumb|worthless|garbage|trash|pointless) (?:bot|ai|assistant|answers?|"
        r"repl(?:y|ies))\b",
        r"\b(?:you're|you are|you|your|ur)\s+(?:not|n't|aren't|are not)\s+(?:helping|helpful|listening|"
        r"understanding)\b",
        r"\b(?:you're|you are|ur|you) (?:so |really |completely |totally |fucking |just |"
        r"pretty )?(?:useless|no help|dumb|stupid|not helpful|hopeless)\b",
        r"\b(?:this bot|the bot|you|this ai|this thing) (?:really |just |totally )?(?:sucks?|blows)\b",
        r"\b(?:doesn't|does not|didn't|did not|don't|do not|not|never) (?:even |actually |"
        r"really )?answer(?:ing|ed)? (?:my|the) question\b",
        r"\b(?:wrong|bad|useless|same) answer again\b",
        r"\bwhy (?:can't|cant|can not|don't|won't) you understand\b",
        r"\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th|last) time (?:i'm|i am|i've|im) ask(?:ing|ed)\b",
        r"\bask(?:ing|ed)? (?:this |it )?for the (?:second|third|fourth|fifth|2nd|3rd|4th|5th) time\b",
        r"\bnot helpful\b",
        r"\bthis is (?:so |really |totally |just )?(?:useless|pointless|ridiculous|frustrating|"
        r"a waste of time)\b",
        r"\bnot what i (?:asked|meant|need|said|wanted)\b",
        r"\bkeep (?:saying|giving me|repeating|telling me|sending) the same\b",
        r"\bsame (?:useless |stupid |canned )?(?:answer|reply|response|thing) (?:again|over and over)\b",
        r"\bsame answer\b",
        r"\bgoing nowhere\b",
        r"\bwaste of (?:my )?time\b",
        r"\b(?:asked|told you|said|tried asking)\b(?:\s+[\w']+){0,3}\s+(?:twice|(?:two|three|four|five|"
        r"\d+|several|many|multiple|a few|a million|a hundred|ten) times)",
        r"\bare you (?:even )?(?:reading|listening)\b",
        r"\b(?:that|this|your) (?:answer|reply|response) (?:makes no sense|is wrong|is useless|"
        r"doesn't help|does not help)\b",
        r"\byou (?:don't|do not|dont) (?:understand|get it)\b",
        r"\b(?:that|this) (?:didn't|did not|doesn't|does not) help\b",
        r"\bstop (?:repeating|giving me)\b",
        r"\bnothing you (?:say|said|suggest) (?:works|helps|worked|helped)\b",
    ),
    curiosity=(
        # "who is the server owner?" asks who, not for them
        r"\bwho(?:'s| is| are| was| were)\b[^?.!,]*",
        r"\b(?:are|is|am|was|were)\s+(?:you|this|that|it|i (?:talking|chatting|speaking) (?:to|"
        r"with))\s+(?:(?:even|really|actually|just|also|an?|talking to an?)\s+)*(?:human|person|"
        r"real person|real|bot|robot|ai|machine|chatgpt|program)\b(?:\s+(?:or|answering|replying|typing|"
        r"writing|talking|here|an?|real|actual|just|human|person|bot|robot|ai|machine)\b)*",
    ),
    hours=(
        r"\b(?:support|office|opening|business|working|service) hours\b",
        r"\bhours\b",
        r"\bweekends?\b",
        r"\bholidays?\b",
        r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b",
        r"\bwhat time\b",
        r"\btime ?zone\b",
        r"\b24/7\b",
        r"\bwhen (?:is|are|can|do|does|will)\b.*\b(?:support|staff|team|available|online|open|reach)\b",
    ),
    templates=(
        r"\b(?:can|could|would|will|may|might)\s+(?:(?:{R})(?:{PEOPLE}|{ROLES})|"
        r"(?:{PEOPLE}))\s+(?:please\s+)?(?:contact|dm|message|call|reach(?: out to)?|email|help|look|"
        r"check|assist|get back to|reply to|respond to|text|ping|review|take a look at|answer|respond|"
        r"reply)(?:\s+(?:me|us|this|it|at|my|into|please)\b|\W*$)",
        r"\bhave\s+(?:{A})(?:{PEOPLE}|{ROLES})\s+(?:contact|reach out to|call|dm|message|email|"
        r"get back to|text)\s+me\b",
        r"\bescalate (?:this|it|me|my (?:issue|ticket|case|problem))\b",
        r"\bwho (?:can|could|should|do|would) (?:i|we) (?:talk|speak|chat) (?:to|with)\b",
        r"\b(?:someone|somebody|a human|a person|an agent|a real person) on the (?:phone|line)\b",
        r"\b(?:can|could|would|will)\s+(?:{R})(?:{PEOPLE}|{ROLES})\s+(?:please\s+)?(?:come|hop|jump) "
        r"(?:here|in|on|over)\b",
        r"\b(?:call ?back|call me back|a call from)\b",
    ),
    function_words=frozenset(
        (
            "the is are you i to and what how can my it this with please want talk need where why help "
            "thanks of for in does"
        ).split()
    ),
)
