"""Spanish phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="es",
    people=(
        r"humanos?|personas?(?: reales?| de verdad| humanas?)?|seres? humanos?|agentes?|asesor(?:es|a|"
        r"as)?|operador(?:es|a|as)?|representantes?|alguien (?:real|de verdad|humano|(?:del|de|de la|"
        r"de los) (?:equipo|soporte|staff|administracion|admins|moderadores|moderacion|"
        r"atencion al cliente))|atencion (?:al cliente|humana|personalizada)|servicio al cliente"
    ),
    roles=(
        r"soporte|moderador(?:es|a|as)?|mods?|admins?|administrador(?:es|a|as)?|encargad[oa]s?|gerentes?|"
        r"supervisor(?:es|a|as)?|responsables?|jefe|staff|equipo(?: de soporte)?|desarrollador(?:es)?|"
        r"dueno|creador"
    ),
    anyone=(r"alguien"),
    articles=(r"un|una|el|la|los|las|al|algun|alguna|algunos|tu|su|vuestro|otro|otra|verdadero|verdadera"),
    required_articles=(r"un|una|el|la|al|algun|alguna|los|las|tu|su"),
    talk=(
        r"(?:hablar|hablo|charlar|conversar|comunicarme|comunicarse|platicar|chatear|contactar|"
        r"contactarme)\s+(?:con|a)"
    ),
    want=(
        r"quiero|queria|quisiera|necesito|necesitaria|busco|pedir|dame|denme|(?:pasame|pasenme|paseme|"
        r"pasarme|me pasas|me pasan|me puedes pasar|me podrias pasar)(?: con| a)?|(?:comunicame|"
        r"comuniqueme|comunicarme|me comunicas|me comunican|ponme|ponganme|ponerme|conectame|conectarme|"
        r"me conectas) con|transfiereme (?:a|con)|(?:llama|llamen|llamar|llamame) a"
    ),
    please=(r"por favor|urgente"),
    is_there=(r"hay|habra|esta|estan|algun|alguna|algunos"),
    available=(
        r"conectad[oa]s?|disponibles?|en linea|online|por ahi|despiert[oa]s?|aqui|aca|activ[oa]s?|"
        r"que me (?:pueda|puedan) (?:ayudar|atender)|con quien (?:pueda )?hablar|para hablar|por aqui|"
        r"por aca"
    ),
    help_from=(r"(?:ayuda|atencion|asistencia|respuesta) de"),
    negations=(r"\bno|\bnunca|\bsin|\bni|\btampoco"),
    advice=(r"\b(?:deberias|deberia|tienes que|tendrias que|hay que)"),
    frustration=(
        r"\b(?:este|el|eres un|que|vaya) bot (?:es |tan |mas )?(?:muy |super |tan )?(?:inutil|tonto|"
        r"estupido|malo|una basura|un asco|pesimo|no sirve)",
        r"\b(?:que|eres|esto es|es) (?:muy |tan |un )?inutil\b",
        r"\bno me (?:estas |esta |estan |has |ha )?(?:ayudando|ayudado|ayudaste|ayudas|ayuda)\b",
        r"\bno (?:me )?ayudas\b",
        r"\b(?:esa|esta|tu|la) respuesta no (?:me )?(?:sirve|ayuda|tiene sentido)\b",
        r"\bno (?:responde|respondes|respondiste|contesta|contestas) (?:a )?mi pregunta\b",
        r"\bbot (?:de mierda|inutil|basura)\b",
        r"\bno (?:me )?sirve(?:s)? (?:para|pa) nada\b",
        r"\bno sirve de nada\b",
        r"\bno (?:me )?entiendes\b",
        r"\b(?:pregunte|preguntado|dije|pedi|escribi)\b(?:\s+[\w']+){0,3}\s+(?:dos|tres|cuatro|cinco|mil|"
        r"varias|muchas|\d+) veces",
        r"\b(?:la misma respuesta|lo mismo otra vez)\b",
        r"\bsiempre (?:dices|respondes|me dices) lo mismo\b",
        r"\bno es lo que (?:te )?(?:pregunte|pedi)\b",
    ),
    curiosity=(
        r"\bquien (?:es|son|era)\b[^?.!,]*",
        r"\b(?:eres|sos|es|estoy hablando con|hablo con)\s+(?:(?:usted|tu|esto|un|una|de verdad|"
        r"realmente)\s+)*(?:humano|persona|bot|robot|ia|maquina|real)\b(?:\s+(?:real|de verdad|o|un|una|"
        r"humano|persona|bot|robot|ia|maquina)\b)*",
    ),
    hours=(
        r"\bhorarios?\b",
        r"\bfin(?:es)? de semana\b",
        r"\bfindes?\b",
        r"\bferiados?\b",
        r"\bfestivos?\b",
        r"\bdomingos?\b",
        r"\bsabados?\b",
        r"\ba que hora\b",
        r"\bque horas\b",
        r"\bzona horaria\b",
        r"\bcuando (?:esta|estan|atienden|abre|hay)\b",
    ),
    templates=(
        r"\bme\s+(?:puede|pueden|podria|podrian)\s+(?:atender|contactar|ayudar|escribir|llamar|"
        r"responder)\s+(?:{A})(?:{PEOPLE}|{ROLES})",
        r"\bque\s+me\s+(?:atienda|atiendan|contacte|contacten|ayude|ayuden|llame|"
        r"escriba)\s+(?:{A})(?:{PEOPLE}|{ROLES}|{ANYONE})",
        r"\b(?:puede|pueden|podria)\s+(?:{R})(?:{PEOPLE}|{ROLES})\s+(?:atenderme|contactarme|ayudarme|"
        r"escribirme|llamarme|revisar)",
    ),
    function_words=frozenset(
        (
            "el la los que de con por quiero una un es no me hablar hay como donde cual esta para "
            "gracias favor y necesito mi cuanto puedo"
        ).split()
    ),
)
