"""Indonesian phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="id",
    people=(
        r"manusia(?: asli| beneran| sungguhan)?|orang (?:asli|beneran|sungguhan|nyata|betulan)|orang|agen|"
        r"cs|customer (?:service|care|support)|operator|petugas|layanan pelanggan|live (?:agent|chat)"
    ),
    roles=(
        r"admin(?:nya|s)?|mimin|moderator(?:nya)?|mods?|staf(?:nya)?|staff(?:nya)?|tim(?: support| cs|"
        r" dukungan)?|support|pemilik|owner|developer|dev|pengelola|pengurus|atasan|manajer|manager|"
        r"supervisor|penanggung jawab"
    ),
    anyone=(r"seseorang|siapa ?pun"),
    articles=(r"seorang|para|pihak|si|kak|bang|mas|mbak|pak|bu|salah satu"),
    required_articles="",  # no articles in Indonesian: a bare "admin" is the person
    talk=(
        r"(?:bicara|berbicara|ngomong|ngobrol|mengobrol|chat|chatting|chattingan|berkomunikasi|konsultasi|"
        r"kontak|hubungi|menghubungi)(?:\s+(?:dengan|sama|ama|ma|ke|kepada))?"
    ),
    want=(
        r"mau|pengen|pingin|ingin|minta|butuh|perlu|(?:panggil|panggilkan|panggilin|tolong panggil)|"
        r"(?:hubungkan|sambungkan|disambungkan|dihubungkan|oper|alihkan|teruskan)(?: saya| aku)?(?: ke|"
        r" dengan| sama| kepada)?"
    ),
    please=(r"tolong|dong|please"),
    is_there=(r"ada|adakah|apakah ada|ada (?:tidak|ga)"),
    available=(r"online|on|aktif|di ?sini|yang (?:bisa|dapat) (?:bantu|membantu|dihubungi)|(?=\s*\?)"),
    help_from=(r"(?:bantuan|jawaban|respon) (?:dari|sama|oleh)"),
    negations=(r"\btidak|\btak|\bbukan|\bjangan|\bgausah|\bbelum|\btanpa"),
    advice=(r"\b(?:kamu|anda|lu|lo|km)\s+(?:harus|sebaiknya|coba|perlu)|\bsebaiknya|\bharusnya"),
    frustration=(
        r"\bbot(?: ini| nya)? (?:tidak|kurang) (?:berguna|membantu|guna)\b",
        r"\b(?:tidak|kurang) berguna\b",
        r"\b(?:kamu|anda|lu|lo|km|bot|kau)(?: ini)? (?:tidak|kurang) (?:membantu|bantu|ngebantu|ngerti|"
        r"paham)\b",
        r"\btidak membantu\b",
        r"\bpercuma\b",
        r"\bjawab(?:an|annya)? (?:sama|itu)(?: aja)? (?:terus|lagi|mulu)\b",
        r"\b(?:bot|kamu|lu|lo|km|kau)(?: ini)? (?:bodoh|goblok|bego|tolol|payah)\b",
        r"\b(?:tidak|belum) (?:menjawab|jawab|njawab) pertanyaan\b",
        r"\b(?:udah|sudah) (?:nanya|tanya|bilang)\b.{0,20}\bkali\b",
        r"\bberkali-kali\b",
        r"\btidak nyambung\b",
    ),
    curiosity=(
        r"\bsiapa\b[^?.!,]*",
        r"\b(?:kamu|anda|lu|lo|km|kau|ini|apakah kamu|apa kamu|apakah ini)\s+(?:(?:itu|ini|beneran|benar|"
        r"seorang)\s+)*(?:manusia|bot|robot|orang|ai|mesin)\b(?:\s+(?:asli|beneran|sungguhan|atau|apa|"
        r"manusia|bot|robot|orang|ai)\b)*",
    ),
    hours=(
        r"\bjam (?:operasional|kerja|buka|berapa|online|layanan|aktif)\b",
        r"\bhari libur\b",
        r"\bakhir pekan\b",
        r"\bweekend\b",
        r"\bhari (?:minggu|sabtu)\b",
        r"\bkapan (?:\w+ )?(?:online|buka|aktif)\b",
    ),
    templates=(
        r"\btolong\s+(?:{A})(?:{PEOPLE}|{ROLES})\b",
        r"(?:{A})(?:{PEOPLE}|{ROLES})(?:nya)?\s+(?:mana|dimana|di mana|kemana|ke mana)\b",
        r"(?:{A})(?:{PEOPLE}|{ROLES})\s+(?:tolong|bisa|bisakah|mohon)\s+(?:bantu|cek|hubungi|chat|dm|"
        r"balas|lihat)",
    ),
    function_words=frozenset(
        (
            "saya aku yang dengan ini itu dan di ke tidak bisa mau ada apa bagaimana gimana tolong kamu "
            "sama untuk dong berapa kapan cara kok ya"
        ).split()
    ),
)
