"""French phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="fr",
    people=(
        r"humains?|humaines?|etres? humains?|(?:une|des) personnes?(?: reelles?| physiques?| humaines?)?|"
        r"vraies? personnes?|personnes? (?:reelles?|physiques?|humaines?)|conseill(?:er|ere|ers|eres)|"
        r"agents?|operat(?:eur|rice|eurs)|interlocut(?:eur|rice)|service (?:client|clientele)|"
        r"service apres-?vente|sav|quelqu'un (?:de (?:reel|vrai|humain)|(?:de|du|des) (?:l'equipe|support|"
        r"staff|la moderation|l'administration|modos|admins|equipe|service client))"
    ),
    roles=(
        r"support|modos?|moderat(?:eur|rice|eurs|rices)|mods?|admins?|administrat(?:eur|rice|eurs)|"
        r"responsables?|managers?|superviseurs?|chef|patron|gerant|equipe|staff|proprio|proprietaire|"
        r"fondateur|devs?|developpeurs?"
    ),
    anyone=(r"quelqu'un"),
    articles=(
        r"un|une|le|la|les|l'|des|du|au|aux|qu'un|qu'une|votre|vos|ton|ta|vrai|vraie|vrais|vraies|autre"
    ),
    required_articles=(r"un|une|le|la|les|l'|des|du|au|qu'un|votre|ton"),
    talk=(r"(?:parler|parle|discuter|causer|echanger|communiquer|joindre|contacter)(?:\s+(?:a|avec))?"),
    want=(
        r"je veux|je voudrais|j'aimerais|je souhaite|je souhaiterais|besoin (?:d'|de)|(?:passez|passe|"
        r"passer)[- ]moi|me passer|appelez|appelle|appeler|je demande|(?:mettez|mets|me mettre|"
        r"mise)[- ]?(?:moi)?\s*en (?:relation|contact) avec|(?:transferez|transfere|redirigez|"
        r"redirige)[- ]moi (?:a|vers)|envoyez[- ]moi|envoie[- ]moi|(?:mettez|mets|mettre)[- ]moi avec"
    ),
    please=(r"s'il vous plait|s'il te plait"),
    is_there=(r"il y a|y a|y'a|est-ce qu'il y a"),
    available=(
        r"en ligne|dispo|disponibles?|la|presents?|connectes?|reveilles?|qui (?:peut|pourrait) m'aider|"
        r"pour m'aider|joignable"
    ),
    help_from=(r"(?:aide|reponse|assistance) (?:d'|de|du)"),
    negations=(r"\bpas|\bne|\bn'|\bjamais|\bsans|\baucun(?:e)?"),
    advice=(r"\b(?:tu|vous|on)\s+(?:devrais|devriez|dois|devez|doit)|\bdemande(?:z)?"),
    frustration=(
        r"\b(?:ce|le|t'es un|tu es un|quel) bot (?:est |de )?(?:vraiment |trop |completement )?(?:nul|"
        r"inutile|debile|con|naze|pourri|stupide|bete)\b",
        r"\b(?:tu|vous) (?:ne )?(?:m'aides|m'aidez|aides|aidez) (?:pas|en rien|vraiment pas)\b",
        r"\b(?:ca|sa|c) (?:ne )?sert a rien\b",
        r"\b(?:t'es|tu es|vous etes) (?:vraiment |trop )?(?:nul|inutile)\b",
        r"\b(?:demande|dit|repete|pose)\b(?:\s+[\w']+){0,3}\s+(?:deux|trois|quatre|plusieurs|mille|"
        r"\d+) fois\b",
        r"\bla meme reponse\b",
        r"\b(?:tu|vous) (?:ne )?(?:comprends|comprenez) (?:rien|pas)\b",
        r"\bbot (?:de merde|pourri|nul|inutile)\b",
        r"\b(?:ca|cela|tu|vous|c) (?:ne )?(?:repond|reponds|repondez) pas a (?:ma|la) question\b",
        r"\b(?:c'est|ce n'est) pas ce que (?:j'ai|je t'ai|je vous ai) demande\b",
    ),
    curiosity=(
        r"\bqui (?:est|sont|etait)\b[^?.!,]*",
        r"\b(?:tu es|t'es|es-tu|es tu|etes-vous|etes vous|vous etes|c'est|est-ce|je parle a|je parle avec|"
        r"je discute avec)\s+(?:(?:un|une|vraiment|vrai|vraie|bien|juste|reellement)\s+)*(?:humain|"
        r"humaine|personne|bot|robot|ia|machine|reel|reelle)\b(?:\s+(?:ou|un|une|humain|humaine|personne|"
        r"bot|robot|ia|machine)\b)*",
    ),
    hours=(
        r"\bhoraires?\b",
        r"\bheures? d'ouverture\b",
        r"\bweek-?end\b",
        r"\bjours? feries?\b",
        r"\bdimanches?\b",
        r"\bsamedis?\b",
        r"\ba quelle heure\b",
        r"\bfuseau horaire\b",
        r"\b24h/24\b",
        r"\bquand (?:est|sont|etes|ouvre|le support|l'equipe)\b",
    ),
    templates=(
        r"(?:{A})(?:{PEOPLE}|{ROLES}|{ANYONE})\s+(?:est|sont|serait)\s+(?:{AVAILABLE})(?![\w'])",
        r"(?:{A})(?:{PEOPLE}|{ROLES}|{ANYONE})\s+(?:peut|pourrait|peuvent|pourraient|pourra)\s+(?:me\s+|"
        r"m')(?:contacter|aider|repondre|ecrire|appeler|rappeler|recontacter)",
        r"(?:{R})(?:{PEOPLE}|{ROLES})\s+(?:peut|pourrait|peuvent|pourraient|pourra)\s+(?:venir|passer|intervenir|"
        r"regarder|jeter un oeil)\b",
    ),
    function_words=frozenset(
        (
            "je le la les est pas avec et un une des du que qui quoi comment ou pour merci tu vous mon "
            "ma c'est parler il y ce sur"
        ).split()
    ),
)
