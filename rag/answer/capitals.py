"""Capitals and their countries, for news metonymy: "Moscow" for Russia, "Ankara" for Turkey.

A question about what "Damascus and Moscow" were urged to do is answered by a
sentence that calls on "Syria and Russia"; the names check (:mod:`rag.answer.evidence`)
accepts either form. General world knowledge, not words of the corpus.

Example:
    >>> sorted(metonyms("moscow"))
    ['russia']
    >>> sorted(metonyms("turkey"))
    ['ankara']
"""
from __future__ import annotations

_PAIRS = """kabul afghanistan|tirana albania|algiers algeria|luanda angola|buenos-aires argentina|yerevan armenia
canberra australia|vienna austria|baku azerbaijan|manama bahrain|dhaka bangladesh|minsk belarus|brussels belgium
porto-novo benin|thimphu bhutan|sucre bolivia|sarajevo bosnia|gaborone botswana|brasilia brazil|sofia bulgaria
ouagadougou burkina|phnom-penh cambodia|yaounde cameroon|ottawa canada|bangui central-african|ndjamena chad
santiago chile|beijing china|bogota colombia|kinshasa congo|zagreb croatia|havana cuba|nicosia cyprus
prague czechia|copenhagen denmark|djibouti djibouti|quito ecuador|cairo egypt|asmara eritrea|tallinn estonia
addis-ababa ethiopia|helsinki finland|paris france|libreville gabon|tbilisi georgia|berlin germany|accra ghana
athens greece|guatemala guatemala|conakry guinea|port-au-prince haiti|tegucigalpa honduras|budapest hungary
reykjavik iceland|delhi india|jakarta indonesia|tehran iran|baghdad iraq|dublin ireland|jerusalem israel
rome italy|tokyo japan|amman jordan|astana kazakhstan|nairobi kenya|pristina kosovo|kuwait kuwait
bishkek kyrgyzstan|vientiane laos|riga latvia|beirut lebanon|monrovia liberia|tripoli libya|vilnius lithuania
luxembourg luxembourg|antananarivo madagascar|lilongwe malawi|kuala-lumpur malaysia|bamako mali|valletta malta
nouakchott mauritania|mexico mexico|chisinau moldova|ulaanbaatar mongolia|podgorica montenegro|rabat morocco
maputo mozambique|naypyidaw myanmar|windhoek namibia|kathmandu nepal|amsterdam netherlands|wellington zealand
managua nicaragua|niamey niger|abuja nigeria|pyongyang korea|skopje macedonia|oslo norway|muscat oman
islamabad pakistan|ramallah palestine|panama panama|asuncion paraguay|lima peru|manila philippines
warsaw poland|lisbon portugal|doha qatar|bucharest romania|moscow russia|kigali rwanda|riyadh saudi
dakar senegal|belgrade serbia|freetown sierra|singapore singapore|bratislava slovakia|ljubljana slovenia
mogadishu somalia|pretoria africa|seoul korea|juba sudan|madrid spain|colombo lanka|khartoum sudan
paramaribo suriname|stockholm sweden|bern switzerland|damascus syria|taipei taiwan|dushanbe tajikistan
dodoma tanzania|bangkok thailand|lome togo|tunis tunisia|ankara turkey|ashgabat turkmenistan|kampala uganda
kyiv ukraine|kiev ukraine|abu-dhabi emirates|london britain|london uk|washington us|washington america
montevideo uruguay|tashkent uzbekistan|caracas venezuela|hanoi vietnam|sanaa yemen|lusaka zambia
harare zimbabwe"""

_MAP: dict[str, set[str]] = {}
for _pair in _PAIRS.replace("\n", "|").split("|"):
    _capital, _country = _pair.split()
    _capital, _country = _capital.replace("-", " "), _country.replace("-", " ")
    if _capital != _country:
        _MAP.setdefault(_capital, set()).add(_country)
        _MAP.setdefault(_country, set()).add(_capital)


def metonyms(word: str) -> frozenset[str]:
    """The capital of a country, or the country of a capital (lower case; empty when neither)."""
    return frozenset(_MAP.get(word.lower(), ()))
