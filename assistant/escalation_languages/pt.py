"""Portuguese phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="pt",
    people=(
        r"humanos?|pessoas?(?: reais?| de verdade| humanas?)?|seres? humanos?|atendentes?|agentes?|"
        r"operador(?:es|a|as)?|representantes?|consultor(?:es|a)?|alguem (?:real|de verdade|humano|(?:da|"
        r"do) (?:equipe|suporte|staff|administracao|moderacao|atendimento))|atendimento (?:humano|"
        r"ao cliente|pessoal)|sac"
    ),
    roles=(
        r"suporte|moderador(?:es|a|as)?|mods?|admins?|adm|administrador(?:es|a|as)?|gerentes?|"
        r"supervisor(?:es|a)?|responsave(?:l|is)|dono|staff|equipe|desenvolvedor(?:es)?|devs?"
    ),
    anyone=(r"alguem"),
    articles=(r"um|uma|o|a|os|as|algum|alguma|alguns|algumas|seu|sua|pro|pra|ao|outro|outra|verdadeiro"),
    required_articles=(r"um|uma|o|a|os|as|algum|alguma|seu|sua|pro|ao"),
    talk=(r"(?:falar|fala|falo|conversar|papear|bater papo|contatar|chatear)\s+(?:com|ca|cum|pro|pra)"),
    want=(
        r"quero|queria|preciso(?: de)?|pedir|manda|chama|chame|chamar|chamem|(?:me passa|me passe|"
        r"me transfere|me transfira|transferir|me encaminha|me manda) (?:pra|para|pro|com)|me (?:coloca|"
        r"conecta|bota) (?:com|em contato com)"
    ),
    please=(r"por favor|urgente"),
    is_there=(r"tem|ha|existe|esta|estao|algum|alguma|cade|onde (?:esta|estao)"),
    available=(
        r"online|on|ai|ae|disponive(?:l|is)|por ai|acordad[oa]s?|aqui|ativ[oa]s?|que (?:possa|"
        r"pode) (?:me )?(?:ajudar|atender)|pra (?:me )?(?:ajudar|atender)|pra falar"
    ),
    help_from=(r"(?:ajuda|atendimento|resposta) (?:de|do|da)"),
    negations=(r"\bnao|\bnunca|\bsem|\bnem"),
    advice=(r"\b(?:voce|vc|tu)\s+(?:deveria|devia|tem que|precisa)|\b(?:deveria|devia)"),
    frustration=(
        r"\b(?:esse|este|o|que|vc e um|voce e um) bot (?:e |eh )?(?:muito |mo |super )?(?:inutil|burro|"
        r"ruim|horrivel|um lixo|nao serve)",
        r"\b(?:que|q|muito|bem|vc e|voce e|isso e) inutil\b",
        r"\bnao (?:serve|ajuda|adianta) (?:pra|para|de) nada\b",
        r"\b(?:vc|voce|tu) nao (?:esta|ta|tas) (?:me )?ajudando\b",
        r"\bnao (?:me )?(?:ajuda|ajudou)\b",
        r"\b(?:ja )?(?:perguntei|falei|disse|pedi)\b(?:\s+[\w']+){0,3}\s+(?:(?:duas|tres|quatro|mil|"
        r"varias|muitas|\d+) vezes|de novo)",
        r"\bmesma resposta\b",
        r"\bnao (?:e|eh) isso que (?:eu )?(?:perguntei|pedi)\b",
        r"\b(?:vc|voce|tu)? ?nao (?:me )?(?:entende|entendeu|entendes) nada\b",
        r"\b(?:vc|voce|tu) nao (?:me )?entende\b",
        r"\bnao (?:responde|respondeu|respondeu a|responde a) (?:a )?minha pergunta\b",
        r"\bbot (?:lixo|inutil|burro|de merda)\b",
    ),
    curiosity=(
        r"\bquem (?:e|eh|sao|era)\b[^?.!,]*",
        r"\b(?:voce|vc|tu|isso|e|eh|es|estou falando com|falo com)\s+(?:(?:e|eh|um|uma|mesmo|realmente|"
        r"de verdade)\s+)*(?:humano|pessoa|bot|robo|ia|maquina|real)\b(?:\s+(?:real|de verdade|ou|um|uma|"
        r"humano|pessoa|bot|robo|ia|maquina)\b)*",
    ),
    hours=(
        r"\bhorarios?\b",
        r"\bfins? de semana\b",
        r"\bferiados?\b",
        r"\bdomingos?\b",
        r"\bsabados?\b",
        r"\bque horas\b",
        r"\bfuso horario\b",
        r"\bquando (?:o |a )?(?:suporte|atendimento|equipe)\b",
    ),
    templates=(
        r"\b(?:pode|podia|poderia|podem)\s+(?:{R})(?:{PEOPLE}|{ROLES})\s+(?:me\s+)?(?:atender|ajudar|"
        r"contatar|responder|chamar)",
        r"(?:{A})(?:{PEOPLE}|{ROLES})\s+(?:pode|podia|poderia)\s+me\s+(?:atender|ajudar|contatar|chamar|"
        r"responder)",
    ),
    function_words=frozenset(
        (
            "o a os que de com por quero um uma nao me falar tem como onde qual para obrigado voce vc "
            "pra preciso meu minha isso esse"
        ).split()
    ),
)
