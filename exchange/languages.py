"""Language code tables for :func:`exchange.normalize.language_tag`.

ISO 639 code correspondences are facts published by the ISO 639-2 Registration Authority
(Library of Congress, https://www.loc.gov/standards/iso639-2/php/code_list.php) and the
ISO 639-3 Registration Authority (SIL); the table below was extracted once from Debian's
iso-codes 4.15 (``iso_639-2.json``, ``iso_639-3.json``) and is shipped so that nothing is
fetched at run time. Language names: the English names of that table plus, written by
hand, the names of the common European languages in their own language and in the other
major European languages, as they turn up in ``dc:language`` ('English', 'Deutsch', 'français').
"""

from __future__ import annotations

import unicodedata

# Every ISO 639-2/B, 639-2/T and 639-3 code that has an ISO 639-1 equivalent → that code.
# RFC 5646 §2.2.1: "When languages have both an ISO 639-1 two-character code and a three-
# character code assigned by ISO 639-2, ISO 639-3, or ISO 639-5, only the ISO 639-1
# two-character code is defined in the IANA registry", so the 639-1 code is the BCP 47 tag.
_CODES = """
aar:aa abk:ab afr:af aka:ak alb:sq amh:am ara:ar arg:an arm:hy asm:as ava:av ave:ae aym:ay aze:az bak:ba
bam:bm baq:eu bel:be ben:bn bih:bh bis:bi bod:bo bos:bs bre:br bul:bg bur:my cat:ca ces:cs cha:ch che:ce
chi:zh chu:cu chv:cv cor:kw cos:co cre:cr cym:cy cze:cs dan:da deu:de div:dv dut:nl dzo:dz ell:el eng:en
epo:eo est:et eus:eu ewe:ee fao:fo fas:fa fij:fj fin:fi fra:fr fre:fr fry:fy ful:ff geo:ka ger:de gla:gd
gle:ga glg:gl glv:gv gre:el grn:gn guj:gu hat:ht hau:ha hbs:sh heb:he her:hz hin:hi hmo:ho hrv:hr hun:hu
hye:hy ibo:ig ice:is ido:io iii:ii iku:iu ile:ie ina:ia ind:id ipk:ik isl:is ita:it jav:jv jpn:ja kal:kl
kan:kn kas:ks kat:ka kau:kr kaz:kk khm:km kik:ki kin:rw kir:ky kom:kv kon:kg kor:ko kua:kj kur:ku lao:lo
lat:la lav:lv lim:li lin:ln lit:lt ltz:lb lub:lu lug:lg mac:mk mah:mh mal:ml mao:mi mar:mr may:ms mkd:mk
mlg:mg mlt:mt mon:mn mri:mi msa:ms mya:my nau:na nav:nv nbl:nr nde:nd ndo:ng nep:ne nld:nl nno:nn nob:nb
nor:no nya:ny oci:oc oji:oj ori:or orm:om oss:os pan:pa per:fa pli:pi pol:pl por:pt pus:ps que:qu roh:rm
ron:ro rum:ro run:rn rus:ru sag:sg san:sa sin:si slk:sk slo:sk slv:sl sme:se smo:sm sna:sn snd:sd som:so
sot:st spa:es sqi:sq srd:sc srp:sr ssw:ss sun:su swa:sw swe:sv tah:ty tam:ta tat:tt tel:te tgk:tg tgl:tl
tha:th tib:bo tir:ti ton:to tsn:tn tso:ts tuk:tk tur:tr twi:tw uig:ug ukr:uk urd:ur uzb:uz ven:ve vie:vi
vol:vo wel:cy wln:wa wol:wo xho:xh yid:yi yor:yo zha:za zho:zh zul:zu
"""

#: three-letter code (B, T or 639-3, lower case) → ISO 639-1 code
ISO639_1: dict[str, str] = dict(pair.split(":") for pair in _CODES.split())

#: withdrawn ISO 639-1 codes → their replacement (the IANA subtag registry's "Preferred-Value").
DEPRECATED_639_1: dict[str, str] = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# code, then its names separated by "; " (lower case; accents optional when looked up).
_NAMES = """
aa afar
ab abkhazian
ae avestan
af afrikaans
ak akan
am amharic
an aragonese
ar arabic; العربية; arabe; árabe; arabisch
as assamese
av avaric
ay aymara
az azerbaijani
ba bashkir
be belarusian
bg bulgarian; български; bulgare; búlgaro; bulgarisch; bulgaars
bh bihari languages
bi bislama
bm bambara
bn bengali
bo tibetan
br breton
bs bosnian
ca catalan; valencian; català; catalán; katalanisch; catalaans
ce chechen
ch chamorro
co corsican
cr cree
cs czech; čeština; tchèque; checo; tschechisch; tsjechisch; ceco
cu church slavic; old slavonic; church slavonic; old bulgarian; old church slavonic
cv chuvash
cy welsh; cymraeg; gallois; galés; walisisch
da danish; dansk; danois; danés; dänisch; deens; danese
de german; deutsch; allemand; alemán; duits; tedesco; alemão; tyska
dv divehi; dhivehi; maldivian
dz dzongkha
ee ewe
el greek; modern greek; ελληνικά; grec; griego; griechisch; grieks; greco
en english; anglais; englisch; engels; inglés; inglese; inglês; engelska
eo esperanto
es spanish; castilian; español; castellano; espagnol; spanisch; spaans; spagnolo; espanhol; spanska
et estonian; eesti; estonien; estonio; estnisch; estisch
eu basque; euskara; vasco; baskisch
fa persian
ff fulah
fi finnish; suomi; finnois; finlandés; finnisch; fins; finlandese
fj fijian
fo faroese
fr french; français; francés; französisch; frans; francese; francês; franska
fy western frisian; frysk; frison; frisón; friesisch; fries
ga irish; gaeilge; irlandais; irlandés; irisch; iers
gd gaelic; scottish gaelic
gl galician; galego; gallego; galicien; galicisch
gn guarani
gu gujarati
gv manx
ha hausa
he hebrew
hi hindi
ho hiri motu
hr croatian; hrvatski; croate; croata; kroatisch
ht haitian; haitian creole
hu hungarian; magyar; hongrois; húngaro; ungarisch; hongaars; ungherese
hy armenian
hz herero
id indonesian
ie interlingue; occidental
ig igbo
ii sichuan yi; nuosu
ik inupiaq
io ido
is icelandic; íslenska; islandais; islandés; isländisch; ijslands
it italian; italiano; italien; italienisch; italiaans
iu inuktitut
ja japanese; 日本語; japonais; japonés; japanisch; japans
jv javanese
ka georgian
kg kongo
ki kikuyu; gikuyu
kj kuanyama; kwanyama
kk kazakh
kl kalaallisut; greenlandic
km central khmer
kn kannada
ko korean
kr kanuri
ks kashmiri
ku kurdish
kv komi
kw cornish
ky kirghiz; kyrgyz
la latin; latein; latijn; latín; latino
lb luxembourgish; letzeburgesch; lëtzebuergesch; luxembourgeois; luxemburgués; luxemburgisch; luxemburgs
lg ganda
li limburgan; limburger; limburgish
ln lingala
lo lao
lt lithuanian; lietuvių; lituanien; lituano; litauisch; litouws
lu luba-katanga
lv latvian; latviešu; letton; letón; lettisch; lets
mg malagasy
mh marshallese
mi maori
mk macedonian
ml malayalam
mn mongolian
mr marathi
ms malay
mt maltese; malti; maltais; maltés; maltesisch; maltees
my burmese
na nauru
nb norwegian bokmål
nd north ndebele
ne nepali
ng ndonga
nl dutch; flemish; nederlands; néerlandais; neerlandés; niederländisch; olandese; holandês; vlaams; hollands
nn norwegian nynorsk
no norwegian; norsk; norvégien; noruego; norwegisch; noors; norvegese
nr south ndebele
nv navajo; navaho
ny chichewa; chewa; nyanja
oc provençal; occitan; occitano; okzitanisch; occitaans
oj ojibwa
om oromo
or oriya
os ossetian; ossetic
pa panjabi; punjabi
pi pali
pl polish; polski; polonais; polaco; polnisch; pools; polacco
ps pushto; pashto
pt portuguese; português; portugais; portugués; portugiesisch; portugees; portoghese
qu quechua
rm romansh; rumantsch; romanche; rätoromanisch; reto-romaans
rn rundi
ro romanian; moldavian; moldovan; română; roumain; rumano; rumänisch; roemeens; rumeno
ru russian; русский; russe; ruso; russisch; russo
rw kinyarwanda
sa sanskrit
sc sardinian
sd sindhi
se northern sami
sg sango
si sinhala; sinhalese
sk slovak; slovenčina; slovaque; eslovaco; slowakisch; slowaaks
sl slovenian; slovenščina; slovène; esloveno; slowenisch; sloveens
sm samoan
sn shona
so somali
sq albanian
sr serbian; српски; srpski; serbe; serbio; serbisch; servisch
ss swati
su sundanese
sv swedish; svenska; suédois; sueco; schwedisch; zweeds; svedese
sw swahili
ta tamil
te telugu
tg tajik
th thai
ti tigrinya
tk turkmen
tl tagalog
tn tswana
tr turkish; türkçe; turc; turco; türkisch; turks
ts tsonga
tt tatar
tw twi
ty tahitian
ug uighur; uyghur
uk ukrainian; українська; ukrainien; ucraniano; ukrainisch; oekraïens
ur urdu
uz uzbek
ve venda
vi vietnamese
vo volapük
wa walloon
wo wolof
xh xhosa
yi yiddish
yo yoruba
za zhuang; chuang
zh chinese; 中文; chinois; chino; chinesisch; chinees
zu zulu
"""


def _fold(name: str) -> str:
    """Case- and accent-insensitive key: 'Français' and 'francais' both read as French."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _NAMES.strip().splitlines():
        code, names = line.split(" ", 1)
        for name in names.split("; "):
            table.setdefault(name, code)
            table.setdefault(_fold(name), code)
    return table


#: language name (lower case, with and without accents) → ISO 639-1 code
LANGUAGE_NAMES: dict[str, str] = _names()


def name_to_code(name: str) -> str | None:
    """The ISO 639-1 code of a language name such as 'English', 'Français' or 'Nederlands'."""
    key = " ".join(name.split()).casefold()
    return LANGUAGE_NAMES.get(key) or LANGUAGE_NAMES.get(_fold(key))
