"""People, companies and the imperfect ways banks and payers spell them."""

from __future__ import annotations

import unicodedata

from payymo.sandbox.world import FIRST_NAMES, LAST_NAMES

FIRST = (
    *FIRST_NAMES,
    *("Alice", "Bram", "Carla", "David", "Elif", "Finn", "Giulia", "Hannah", "Ivan", "Julia"),
    *("Karim", "Lena", "Marco", "Nina", "Oscar", "Paula", "Rafael", "Sophie", "Thomas", "Uwe"),
    *("Valérie", "William", "Xavier", "Yara", "Zofia", "Jürgen", "Agnès", "Björn", "Søren"),
    *("Émile", "Léa", "Nicolás", "François", "Małgorzata", "James", "Emily", "Oliver", "Lucy"),
)
LAST = (
    *LAST_NAMES,
    *("Bakker", "Visser", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Köhler"),
    *("Martin", "Bernard", "Lefèvre", "Moreau", "Fernández", "López", "Martínez", "Bianchi"),
    *("Ferrari", "Romano", "Jones", "Taylor", "Williams", "Davies", "Evans", "Wilson", "Walsh"),
    *("Murphy", "Kelly", "Lindqvist", "Nielsen", "Jensen", "Wiśniewski", "Horváth", "Šimek"),
    *("Van den Berg", "El Amrani", "Papadopoulos", "Öztürk", "Nguyen", "Okafor", "Schäfer"),
)
BRAND_WORDS = (
    *("Blue", "Pixel", "Nordlicht", "Alpine", "Harbour", "Cedar", "Quantum", "Bright", "Atlas"),
    *("Maple", "Orbit", "Falcon", "Lumen", "Kraken", "Silver", "Rivage", "Sol", "Vento"),
)
BRAND_NOUNS = (
    *("Media", "Webdesign", "Solutions", "Studio", "Consulting", "Digital", "Hosting", "Labs"),
    *("Marketing", "Software", "Creations", "Systems", "Agency", "Works", "Webshop"),
)
COMPANY_FORMS = {
    "DE": ("GmbH", "UG", "e.K.", "GbR"),
    "NL": ("B.V.", "V.O.F."),
    "FR": ("SARL", "SAS", "EURL"),
    "ES": ("S.L.", "S.A."),
    "IE": ("Ltd", "Limited"),
    "GB": ("Ltd", "Limited", "LLP"),
    "US": ("LLC", "Inc"),
    "CH": ("GmbH", "AG", "Sàrl"),
    "SE": ("AB", "HB"),
    "CA": ("Inc", "Ltd"),
    "AU": ("Pty Ltd",),
}
# Spellings of a legal form that payers and banks use instead of the registered one.
FORM_VARIANTS = {
    "Ltd": ("Limited", "LTD", "Ltd."),
    "Limited": ("Ltd", "LTD"),
    "GmbH": ("GMBH", "G.m.b.H.", "Gesellschaft mbH"),
    "B.V.": ("BV", "B V", "bv"),
    "SARL": ("S.A.R.L.", "Sarl"),
    "S.L.": ("SL", "S.L"),
    "LLC": ("L.L.C.", "llc"),
    "Inc": ("Inc.", "Incorporated"),
    "Pty Ltd": ("PTY LIMITED", "Pty. Ltd."),
    "AB": ("Aktiebolag",),
    "AG": ("A.G.",),
}
TITLES = ("Dr.", "Dr", "Mr", "Mrs", "Ms", "Herr", "Frau", "M.", "Mme", "Dhr.", "Mevr.", "Prof.")
ACCOUNTANTS = (
    "Steuerbüro Klein & Partner",
    "Bookkeeping Partners BV",
    "Cabinet Comptable Martin",
    "Smith & Co Accountants Ltd",
    "Asesoría Fiscal Ruiz S.L.",
    "Administratiekantoor De Wit",
    "Kanzlei Dr. Berger",
)
OWN_COMPANY = "Demo Hosting Ltd"
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"}
)


def fold(text: str) -> str:
    """Drop accents and anything outside ASCII, as many banks' SEPA character sets do."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def transliterate(text: str) -> str:
    """German-style transliteration (Müller -> Mueller), then fold the rest."""
    return fold(text.translate(_GERMAN))
