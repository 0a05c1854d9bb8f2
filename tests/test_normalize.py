"""Normalization of the values met in real records: languages, dates, licences, vCards, text, URLs.

Real values carry a comment naming the file of shared/data/real/ they come from (see its
PROVENANCE.md); the vCards are in tests/fixtures/normalize/vcards.json (see PROVENANCE.md there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exchange.languages import ISO639_1, LANGUAGE_NAMES
from exchange.normalize import (
    byte_size,
    clean_block,
    clean_line,
    is_placeholder,
    iso_date,
    language_tag,
    licence_uri,
    looks_like_organization,
    vcard_agent,
    web_url,
)

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
CC = "https://creativecommons.org/licenses/"
SPDX = "http://spdx.org/licenses/"
RS = "http://rightsstatements.org/vocab/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM = "https://creativecommons.org/publicdomain/mark/1.0/"

# ---------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # real values
        ("fre", "fr"),  # lom/lomfr_canal-u_67.xml, lom/suplomfr_unit_4369.xml (language="fre")
        ("FRE", "fr"),  # lom/lomfr_canal-u_67.xml (<language>FRE</language>)
        ("fra-CA", "fr-CA"),  # lom/lom_aquops_valid_zxx_language.xml, lom/normetic_v1.1_ressfranc30.xml
        ("fr-CA", "fr-CA"),  # lom/normetic_v1.2_eureka_astronaute.xml
        ("en-CA", "en-CA"),  # lom/normetic_v1.1_eureka_family_structure_en.xml
        ("http://id.loc.gov/vocabulary/iso639-2/fre", "fr"),  # lom/scolomfr_v3.2_reference_manual_example_verdun.xml
        ("zxx", "zxx"),  # lom/lom_aquops_valid_zxx_language.xml: no linguistic content is a tag
        ("none", None),  # lom/lom_aquops_valid_zxx_language.xml
        ("x-none", None),  # oai-pmh/arno_utwente_listrecords_imsmd_lom.xml, lom/hs-oer-lom_de_fragment_rights.xml
        ("la", "la"),  # oai-pmh/anatomytool_listrecords_nl_lom_page1.xml
        ("deu", "de"),  # oai-pmh/librecat-pub-bielefeld_getrecord_oai_dc.xml (dc:language)
        ("eng", "en"),  # oai-pmh/bnf_gallica_listrecords_oai_dc_ns_on_root.xml (xml:lang="eng")
        ("fra", "fr"),  # oai-pmh/librecat-pub-bielefeld_listrecords_oai_dc_page1.xml
        ("rus", "ru"),  # oai-pmh/librecat-pub-bielefeld_listrecords_oai_dc_page1.xml
        ("English", "en"),  # oai-pmh/nsdl_getrecord_nsdl_dc.xml, lrmi/lrmi_dcmi_LRexample01.jsonld (inLanguage)
        ("Swedish", "sv"),  # oai-pmh/kielipankki_getrecord_cmdi.xml
        ("en_US", "en-US"),  # oai-pmh/oaicat-dspace_eur_listrecords_oai_dc_large.xml (dc:language)
        ("other", None),  # lom/edurep_sru_searchretrieve_czp_lom.xml, oai-pmh/anatomytool_… (dc:language)
        ("de-AT", "de-AT"),  # lrmi/amb/20231019/examples/invalid/wrongDefaultLanguageTag.json (@language)
        ("x-t-cc-url", "x-t-cc-url"),  # lom/hs-oer-lom_de_fragment_rights.xml: private use, all lower case
        ("x-i18n", "x-i18n"),  # vocab/cc-licenses/cc0_1.0.rdf
        ("oci-es", "oc-ES"),  # vocab/cc-licenses/cc0_1.0.rdf
        ("zh-tw", "zh-TW"),  # vocab/cc-licenses/cc0_1.0.rdf
        ("sr-latn", "sr-Latn"),  # vocab/cc-licenses/cc0_1.0.rdf
        ("si-lk", "si-LK"),  # vocab/cc-licenses/cc0_1.0.rdf
        ("pt-br", "pt-BR"),  # vocab/cc-licenses/cc0_1.0.rdf
        # named edge cases
        ("", None),
        (None, None),
        ("und", None),
        ("  nl \n", "nl"),
        ("EN", "en"),
        ("ger", "de"),
        ("dut", "nl"),
        ("nld", "nl"),
        ("spa", "es"),
        ("swe", "sv"),
        ("fin", "fi"),
        ("cze", "cs"),
        ("ces", "cs"),
        ("chi", "zh"),
        ("ast", "ast"),  # ISO 639-2 code without a 639-1 equivalent stays
        ("gsw", "gsw"),
        ("nds-DE", "nds-DE"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("iw", "he"),  # withdrawn ISO 639-1 code
        ("MUL", "mul"),
        ("http://id.loc.gov/vocabulary/iso639-1/fr", "fr"),
        ("https://id.loc.gov/vocabulary/iso639-2/ger.html", "de"),
        ("http://lexvo.org/id/iso639-3/fra", "fr"),
        ("http://publications.europa.eu/resource/authority/language/FRA", "fr"),
        ("http://publications.europa.eu/resource/authority/language/DEU", "de"),
        ("http://example.org/languages/fr", None),
        ("français", "fr"),
        ("Francais", "fr"),
        ("Deutsch", "de"),
        ("Nederlands", "nl"),
        ("español", "es"),
        ("eng; fre", None),  # a list of languages is not one tag
        ("en--us", None),
        ("x", None),
        ("englishman", None),
    ],
)
def test_language_tags(raw: str | None, expected: str | None) -> None:
    assert language_tag(raw) == expected


# All 20 ISO 639-2 bibliographic codes that differ from the terminology code.
ISO639_2_B_T_1 = [
    ("alb", "sqi", "sq"),
    ("arm", "hye", "hy"),
    ("baq", "eus", "eu"),
    ("bur", "mya", "my"),
    ("chi", "zho", "zh"),
    ("cze", "ces", "cs"),
    ("dut", "nld", "nl"),
    ("fre", "fra", "fr"),
    ("geo", "kat", "ka"),
    ("ger", "deu", "de"),
    ("gre", "ell", "el"),
    ("ice", "isl", "is"),
    ("mac", "mkd", "mk"),
    ("mao", "mri", "mi"),
    ("may", "msa", "ms"),
    ("per", "fas", "fa"),
    ("rum", "ron", "ro"),
    ("slo", "slk", "sk"),
    ("tib", "bod", "bo"),
    ("wel", "cym", "cy"),
]


@pytest.mark.parametrize(("bibliographic", "terminology", "alpha2"), ISO639_2_B_T_1)
def test_both_iso639_2_codes_become_the_iso639_1_code(bibliographic: str, terminology: str, alpha2: str) -> None:
    assert language_tag(bibliographic) == language_tag(terminology) == language_tag(bibliographic.upper()) == alpha2


def test_the_code_table_covers_every_iso639_1_language() -> None:
    # the 184 ISO 639-1 codes of the ISO 639-2 table, plus 'sh' (from ISO 639-3 'hbs')
    assert len(set(ISO639_1.values())) == 185
    assert all(len(code) == 3 and code.islower() for code in ISO639_1)
    assert all(len(code) == 2 and code.islower() for code in ISO639_1.values())
    assert set(LANGUAGE_NAMES.values()) <= set(ISO639_1.values())


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # real values
        ("2009-06-18T02:49:31Z", "2009-06-18T02:49:31Z"),  # oai-pmh/nsdl_listrecords_nsdl_dc_singlepage.xml
        ("2010", "2010"),  # oai-pmh/librecat-pub-bielefeld_listrecords_single_page_empty_token.xml
        ("1984-10", "1984-10"),  # oai-pmh/dspace-xoai_mit_listrecords_oai_dc_set.xml
        ("\n2003-01-21", "2003-01-21"),  # oai-pmh/tudelft_listrecords_oai_dc_newlines_in_text.xml (dc:date)
        ("\n2004-12-29T13:19:27Z", "2004-12-29T13:19:27Z"),  # oai-pmh/tudelft_… (responseDate)
        ("\n    2010-04-29\n  ", "2010-04-29"),  # oai-pmh/copac_listrecords_oai_dc_token_whitespace.xml
        ("2023-10-25T18:00:00.654Z", "2023-10-25T18:00:00.654Z"),  # oai-pmh/dspace-xoai_mit_getrecord_oai_dc.xml
        ("January 2004", "2004-01"),  # oai-pmh/oaicat-dspace_eur_listrecords_oai_dc_large.xml (dc:date)
        ("2000-05-28T23:00:00.0-05:00", "2000-05-28T23:00:00.0-05:00"),  # lom/normetic_v1.1_eureka_dur_comme_du_fer.xml
        ("2021-09-01T17:35:07.00+02:00", "2021-09-01T17:35:07.00+02:00"),  # lom/lomes_exelearning_rea_andalucia_…
        ("2026-04-05T19:44:35.00+00:00", "2026-04-05T19:44:35.00+00:00"),  # lom/lomes_exelearning_sustainable_…
        ("2019-02-28 11:43:05+02:00", "2019-02-28T11:43:05+02:00"),  # oai-pmh/anatomytool_listrecords_nl_lom_page1.xml
        ("1999-07-26T12:15:35", "1999-07-26T12:15:35"),  # lom/hs-oer-lom_de_fragment_datetime.xml
        ("00:31:33", None),  # lom/hs-oer-lom_de_fragment_technical.xml: a duration in <datetime>, not a date
        ("aaaa-bb-cc", None),  # oai-pmh/broken_oaicat_identify_bad_earliestdatestamp.xml
        ("2013-11-18T13:35:26+00:00", "2013-11-18T13:35:26+00:00"),  # lom/lomch_dsb_api_description_example.json
        ("2019-07-03T13:13:13", "2019-07-03T13:13:13"),  # lrmi/amb/20231019/examples/valid/dateTime.json
        ("2017-09-14T16:25:47.230Z", "2017-09-14T16:25:47.230Z"),  # lrmi/hoou_ifm-erzaehlung-wie_creativework.jsonld
        ("10.09.2022", "2022-09-10"),  # lrmi/amb/20231019/examples/invalid/wrongDateTime.json (day first)
        ("04-10-2020", None),  # lrmi/amb/…/wrongDateTime.json: April or October? ambiguous
        ("2020/11/05", "2020-11-05"),  # lrmi/amb/…/wrongDateTime.json
        ("11. November 2022", "2022-11-11"),  # lrmi/amb/…/wrongDateTime.json
        # named edge cases
        ("2017", "2017"),
        ("2009-1-5", "2009-01-05"),
        ("20090105", "2009-01-05"),
        ("20090105T101500Z", "2009-01-05T10:15:00Z"),
        ("2009/01/05", "2009-01-05"),
        ("2009.01.05", "2009-01-05"),
        ("2009-01-05 10:15:00", "2009-01-05T10:15:00"),
        ("2009-01-05T10:15", "2009-01-05T10:15:00"),
        ("2009-01-05t10:15:00z", "2009-01-05T10:15:00Z"),
        ("2009-01-05T10:15:00,5+01", "2009-01-05T10:15:00.5+01:00"),
        ("2009-06-18 02:49:31 +0100", "2009-06-18T02:49:31+01:00"),
        ("2021-09-01T17:35:07.00+0200", "2021-09-01T17:35:07.00+02:00"),
        ("2009-01-05T10:15:00 UTC", "2009-01-05T10:15:00Z"),
        ("2008-02-29", "2008-02-29"),
        ("March 5, 2009", "2009-03-05"),
        ("5 de marzo de 2009", "2009-03-05"),
        ("1er mars 2009", "2009-03-01"),
        ("2021-02-30", None),
        ("2009-02-29", None),
        ("2019-13-01", None),
        ("2019-00", None),
        ("2009-01-05T24:00:00", None),
        ("2009-01-05T10:60:00", None),
        ("2009-01-05T10:15:00+15:00", None),
        ("0000", None),
        ("2009/10", None),  # an interval, or a version; not a month
        ("spring 2009", None),
        ("ca. 2009", None),
        ("", None),
        (None, None),
    ],
)
def test_dates(raw: str | None, expected: str | None) -> None:
    assert iso_date(raw) == expected


# ---------------------------------------------------------------- licences


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # every real rights / licence value, mapped or deliberately None
        ("info:eu-repo/semantics/closedAccess", None),  # oai-pmh/librecat-pub-bielefeld_getrecord_oai_dc.xml
        ("info:eu-repo/semantics/openAccess", None),  # oai-pmh/invenio-zenodo_getrecord_oai_dc.xml
        (  # oai-pmh/dspace-xoai_mit_listrecords_oai_dc_set.xml
            "These materials are made available for use in research, teaching and private study, pursuant to "
            "U.S. Copyright Law and the Music Modernization Act. The user must assume full responsibility for "
            "any use of the materials, including but not limited to, infringement of copyright and publication "
            "rights of reproduced materials. Any materials used for academic research or otherwise should be "
            "fully credited with the source. The original creators may retain copyright to the materials.",
            None,
        ),
        ("https://rightsstatements.org/vocab/InC/1.0/", RS + "InC/1.0/"),  # oai-pmh/librecat-…_oai_dc_page1.xml
        ("https://rightsstatements.org/page/InC-EDU/1.0/", RS + "InC-EDU/1.0/"),  # oai-pmh/dspace-xoai_mit_getrecord…
        ("In Copyright - Educational Use Permitted", RS + "InC-EDU/1.0/"),  # oai-pmh/dspace-xoai_mit_getrecord_oai_dc
        ("https://creativecommons.org/licenses/by/4.0/legalcode", CC + "by/4.0/"),  # oai-pmh/invenio-zenodo_…_page1
        ("https://creativecommons.org/licenses/by-nc/4.0/legalcode", CC + "by-nc/4.0/"),  # oai-pmh/invenio-zenodo_…
        ("https://creativecommons.org/licenses/by/3.0/", CC + "by/3.0/"),  # oai-pmh/librecat-…_oai_dc_page1.xml
        ("Creative Commons Attribution 4.0 International", CC + "by/4.0/"),  # oai-pmh/invenio-zenodo_…_page1.xml
        ("Creative Commons Attribution Non Commercial 4.0 International", CC + "by-nc/4.0/"),  # …zenodo_…no_token
        ("(c) 2003 S.L. Bruinsma", None),  # oai-pmh/tudelft_listrecords_oai_dc_page1.xml
        ("(c) 2003 S. Van Aert", None),  # oai-pmh/tudelft_listrecords_oai_dc_page1.xml
        ("Copyright retained by author(s)", None),  # oai-pmh/dspace-xoai_mit_getrecord_oai_dc.xml
        (  # oai-pmh/dspace_helda_getrecord_oai_dc.xml
            "Copyright 2005 American Institute of Physics. This article may be downloaded for personal use only. "
            "Any other use requires prior permission of the author and the American Institute of Physics.",
            None,
        ),
        (  # oai-pmh/oaicat-dspace_eur_listrecords_oai_dc_large.xml
            "Copyright 2001, G. de  Jong, B. Nooteboom, This report in the ERIM Report Series Research in "
            "Management is intended as a means to communicate the results of recent research to academic "
            "colleagues and other interested parties.",
            None,
        ),
        (  # oai-pmh/dspace_helda_getrecord_oai_dc_2.xml
            "Helsingin yliopisto, kulttuurien tutkimuksen laitos. Käyttö sallittu opetukseen ja tutkimukseen.",
            None,
        ),
        ("Apache License 2.0", SPDX + "Apache-2.0"),  # oai-pmh/invenio-zenodo_getrecord_datacite.xml (rightsList)
        ("apache-2.0", SPDX + "Apache-2.0"),  # oai-pmh/invenio-zenodo_getrecord_datacite.xml (rightsIdentifier, spdx)
        ("http://www.apache.org/licenses/LICENSE-2.0", SPDX + "Apache-2.0"),  # oai-pmh/invenio-zenodo_getrecord_…
        ("domaine public", PDM),  # oai-pmh/bnf_gallica_listrecords_oai_dc_ns_on_root.xml
        ("public domain", PDM),  # oai-pmh/bnf_gallica_listrecords_oai_dc_ns_on_root.xml
        ("cc-by-40", CC + "by/4.0/"),  # oai-pmh/meresco-edurep_listrecords_lom_set_surf_page1.xml (nl_lom value)
        ("cc-by-nc-40", CC + "by-nc/4.0/"),  # oai-pmh/meresco-edurep_listrecords_lom_set_surf_page2_final.xml
        ("cc-by-nc-nd-40", CC + "by-nc-nd/4.0/"),  # oai-pmh/meresco-edurep_listrecords_lom_delta_deleted.xml
        ("cc-by-sa-30", CC + "by-sa/3.0/"),  # lom/edurep_sru_searchretrieve_czp_lom.xml
        ("cc-by-sa-40", CC + "by-sa/4.0/"),  # oai-pmh/meresco-edurep_listrecords_lom_delta_deleted.xml
        ("https://creativecommons.org/licenses/by-nc-nd/4.0/", CC + "by-nc-nd/4.0/"),  # oai-pmh/meresco-edurep_…
        ("https://creativecommons.org/licenses/by-sa/4.0", CC + "by-sa/4.0/"),  # lom/hs-oer-lom_de_fragment_rights.xml
        ("\n\t\t\t\t\thttps://creativecommons.org/publicdomain/zero/1.0/legalcode\n\t\t\t\t", CC0),  # …full-example-a
        ("https://creativecommons.org/licenses/by-nc-sa/4.0/", CC + "by-nc-sa/4.0/"),  # oai-pmh/anatomytool_…
        ("http://creativecommons.org/licenses/by-sa/4.0/", CC + "by-sa/4.0/"),  # lrmi/hoou_…_creativework.jsonld
        ("https://creativecommons.org/publicdomain/zero/1.0/", CC0),  # lrmi/amb/20231019/examples/valid/…
        ("http://www.gnu.org/licenses/agpl-3.0", SPDX + "AGPL-3.0"),  # lrmi/amb/…/valid/conceptsWithMultilingualLabels
        ("https://opensource.org/licenses/MIT", SPDX + "MIT"),  # lrmi/amb/20231019/examples/valid/MIT-License.json
        ("https://opensource.org/licenses/MPL-2.0", SPDX + "MPL-2.0"),  # lrmi/amb/…/invalid/Mozilla-Public-License
        ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", None),  # oai-pmh/arxiv_…: arXiv's own, no CC/SPDX id
        ("https://anatomytool.org/license/item-external-site-license-stated-site-holds", None),  # oai-pmh/anatomytool
        ("Copyrighted", None),  # oai-pmh/anatomytool_listrecords_nl_lom_page1.xml
        ("CC Attribution 4.0 International license", CC + "by/4.0/"),  # oai-pmh/anatomytool_…
        ("CC Attribution-ShareAlike 4.0 International license", CC + "by-sa/4.0/"),  # oai-pmh/anatomytool_…
        ("CC Attribution-NonCommercial-ShareAlike 4.0 International license", CC + "by-nc-sa/4.0/"),  # anatomytool
        ("unknown", None),  # oai-pmh/anatomytool_listrecords_nl_lom_page1.xml (copyrightAndOtherRestrictions)
        ("Rights description", None),  # oai-pmh/arno_utwente_listrecords_imsmd_lom.xml
        ("yes", None),  # lom/lom_aquops_valid_zxx_language.xml (copyrightAndOtherRestrictions)
        ("no", None),  # lom/lom_respel_cfwb_5214.xml
        ("http://data.education.fr/voc/scolomfr/concept/yes_2", None),  # lom/scolomfr_v3.2_reference_manual_…
        ("LOMv1.0", None),  # lom/edurep_sru_searchretrieve_czp_lom.xml (a vocabulary source)
        ("universal", None),  # lom/lomes_exelearning_rea_andalucia_asi_soy_yo.xml (LOM-ES access)
        ("Default", None),  # lom/lomes_exelearning_rea_andalucia_asi_soy_yo.xml
        ("Preestablecido", None),  # lom/lomes_exelearning_fp_lmsgi01_minimal.xml
        ("None", None),  # lom/lomes_exelearning_fp_lmsgi01_minimal.xml
        # LOM-ES vocabulary value without a version: which CC BY-NC-SA? deliberately None
        ("creative commons: attribution - non commercial - share alike", None),  # lom/lomes_…_asi_soy_yo.xml
        ("creative commons: attribution - share alike 4.0", CC + "by-sa/4.0/"),  # lom/lomes_…_sustainable_estepona
        ("CC BY-SA 3.0 : paternité, partage des conditions initiales à l’identique", CC + "by-sa/3.0/"),  # normetic
        (  # lom/normetic_v1.2_eureka_powerpoint2007.xml
            "Creative Commons Paternité-Pas d'Utilisation Commerciale-Partage des Conditions Initiales à "
            "l'Identique 2.5 Canada.",
            CC + "by-nc-sa/2.5/ca/",
        ),
        (  # lom/normetic_v1.2_eureka_astronaute.xml
            "Creative Commons Paternité-Pas d'Utilisation Commerciale-Pas de Modification 2.5 Canada.",
            CC + "by-nc-nd/2.5/ca/",
        ),
        (  # lom/normetic_v1.2_eureka_portfolio.xml
            "Paternité - Pas d'Utilisation Commerciale - Pas de Modification 3.0 Unported (CC BY-NC-ND 3.0)",
            CC + "by-nc-nd/3.0/",
        ),
        ("Droits d'auteur prévus par la loi.", None),  # lom/normetic_v1.1_eureka_dur_comme_du_fer.xml
        ("Droits réservés à l'éditeur et aux auteurs", None),  # lom/lomfr_canal-u_67.xml
        ("Mention de l'auteur et de l'éditeur", None),  # lom/normetic_v1.1_eureka_enzyme_animation.xml
        ("Mentionner la source", None),  # lom/normetic_v1.1_eureka_large_classification.xml
        ("Some restrictions apply. Contact the author for details.", None),  # lom/normetic_v1.1_…_family_structure_en
        ("© CCDMD 2011", None),  # lom/normetic_v1.1_ressfranc30.xml
        (  # lom/suplomfr_unit_4369.xml
            "Ces contenus d'enseignement, propriété du campus numérique IUT en ligne, constituent une œuvre "
            "protégée par les lois sur la propriété intellectuelle.",
            None,
        ),
        (  # lom/lom_aquops_valid_zxx_language.xml (with its C1 &#x92; apostrophes)
            "L'utilisation de ces vidéos se fait  uniquement par l\x92intermédiaire de ce site et à des fins "
            "éducatives et non lucratives pour fin de consultation ou de présentation à des intervenants du "
            "milieu de l\x92éducation. Ces vidéos ne peuvent en aucun cas être copiées ou transférées sur support "
            "informatique.",
            None,
        ),
        (  # lom/lom_respel_cfwb_5214.xml
            "Utilisation pédagogique. Reproduction autorisée pour un usage en classe. Pour tout autre usage, "
            "reproduction d'extraits autorisée avec mention des sources.",
            None,
        ),
        (  # lom/scolomfr_v3.2_reference_manual_example_verdun.xml
            "Tous les contenus présents sur le site de l'académie de Clermont-Ferrand sont couverts par le droit "
            "d’auteur. Toute reprise (texte, photo, image graphique) est dès lors conditionnée à l’accord de "
            "l’auteur en vertu de l’article L.122-4 du Code de la propriété intellectuelle.",
            None,
        ),
        ("Alle Rechte vorbehalten", None),  # lom/lomch_dsb_api_description_example.json
        ("Tous droits réservés", None),  # lom/lomch_dsb_api_description_example.json
        # Creative Commons URL variants
        ("http://creativecommons.org/licenses/by-nc/4.0/", CC + "by-nc/4.0/"),
        ("https://www.creativecommons.org/licenses/by/4.0/deed.de", CC + "by/4.0/"),
        ("http://creativecommons.org/licences/by-nc-sa/3.0/es", CC + "by-nc-sa/3.0/es/"),
        ("https://creativecommons.org/licenses/by-nc-sa/3.0/es/deed.es", CC + "by-nc-sa/3.0/es/"),
        ("https://creativecommons.org/licenses/BY-SA/3.0/FR/legalcode.fr", CC + "by-sa/3.0/fr/"),
        ("https://creativecommons.org/licenses/by/3.0/igo/", CC + "by/3.0/igo/"),
        ("creativecommons.org/licenses/by/2.0/", CC + "by/2.0/"),
        ("see http://creativecommons.org/licenses/by-nc/4.0/ for terms", CC + "by-nc/4.0/"),
        ("https://creativecommons.org/licenses/by-nd-nc/1.0/", CC + "by-nd-nc/1.0/"),  # CC 1.0's own order
        ("https://creativecommons.org/publicdomain/mark/1.0/deed.fr", PDM),
        ("https://creativecommons.org/licenses/by/5.0/", None),
        ("https://creativecommons.org/licenses/by-nd-sa/4.0/", None),
        # Creative Commons names
        ("CC BY-SA 4.0", CC + "by-sa/4.0/"),
        ("CC-BY-NC-ND-3.0", CC + "by-nc-nd/3.0/"),
        ("cc by 4.0", CC + "by/4.0/"),
        ("CC BY 3.0 DE", CC + "by/3.0/de/"),
        ("CC BY-SA 3.0 de Jan Jansen", CC + "by-sa/3.0/"),  # 'de' is a word here, not a jurisdiction
        ("Creative Commons Attribution-ShareAlike 4.0 International", CC + "by-sa/4.0/"),
        ("Creative Commons BY-NC-SA 2.5 Canada", CC + "by-nc-sa/2.5/ca/"),
        ("Reconocimiento-NoComercial-CompartirIgual 3.0 España", CC + "by-nc-sa/3.0/es/"),
        ("Atribución-NoComercial-CompartirIgual 4.0 Internacional", CC + "by-nc-sa/4.0/"),
        ("Paternité - Pas d'Utilisation Commerciale 2.0 France", CC + "by-nc/2.0/fr/"),
        (
            "Attribution - Pas d’Utilisation Commerciale - Partage dans les Mêmes Conditions 4.0 International",
            CC + "by-nc-sa/4.0/",
        ),
        ("Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland", CC + "by-sa/3.0/de/"),
        ("Namensnennung - Nicht kommerziell - Keine Bearbeitungen 4.0 International", CC + "by-nc-nd/4.0/"),
        ("Naamsvermelding-GelijkDelen 3.0 Nederland", CC + "by-sa/3.0/nl/"),
        ("Naamsvermelding-NietCommercieel-GeenAfgeleideWerken 4.0 Internationaal", CC + "by-nc-nd/4.0/"),
        ("Creative Commons Attribution-ShareAlike", None),  # no version
        ("Namensnennung - Weitergabe unter gleichen Bedingungen", None),  # no version
        ("CC BY-SA", None),  # no version
        ("Attribution 4.0", None),  # no sign that it is Creative Commons
        ("CC0", CC0),
        ("CC0 1.0 Universal", CC0),
        ("Public Domain Mark 1.0", PDM),
        # SPDX
        ("CC-BY-4.0", CC + "by/4.0/"),
        ("CC-BY-SA-3.0-DE", CC + "by-sa/3.0/de/"),
        ("CC0-1.0", CC0),
        ("CC-PDDC", SPDX + "CC-PDDC"),  # no CC URI of its own
        ("MIT", SPDX + "MIT"),
        ("Apache-2.0", SPDX + "Apache-2.0"),
        ("GPL-3.0-only", SPDX + "GPL-3.0-only"),
        ("GPL-3.0-or-later", SPDX + "GPL-3.0-or-later"),
        ("gpl-3.0+", SPDX + "GPL-3.0-or-later"),
        ("BSD-3-Clause", SPDX + "BSD-3-Clause"),
        ("bsd-2-clause", SPDX + "BSD-2-Clause"),
        ("http://spdx.org/licenses/MIT.html", SPDX + "MIT"),
        ("https://spdx.org/licenses/CC-BY-4.0.html", CC + "by/4.0/"),
        ("https://www.gnu.org/licenses/gpl-3.0.html", SPDX + "GPL-3.0"),
        ("MIT OR Apache-2.0", None),  # an expression, not one licence
        ("LicenseRef-my-licence", None),
        # ambiguous
        ("Creative Commons", None),
        ("copyright", None),
        ("All rights reserved", None),
        ("", None),
        (None, None),
    ],
)
def test_licences(raw: str | None, expected: str | None) -> None:
    assert licence_uri(raw) == expected


# ---------------------------------------------------------------- vCards

REAL_VCARDS: list[dict[str, Any]] = json.loads((FIXTURES / "vcards.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "row", REAL_VCARDS, ids=[f"{Path(r['source'][0]).stem}-{i}" for i, r in enumerate(REAL_VCARDS)]
)
def test_real_vcards(row: dict[str, Any]) -> None:
    assert vcard_agent(row["vcard"]) == row["expected"]


def test_every_real_vcard_quirk_is_in_the_table() -> None:
    texts = [row["vcard"] for row in REAL_VCARDS]
    assert any("\r\n" in t for t in texts)  # &#xD; (Normetic) and \r\n (LOM-CH JSON)
    assert any("\n" not in t and "FN:" in t for t in texts)  # all on one line (eXeLearning)
    assert any("ENCODING=8BIT" in t for t in texts)  # ScoLOMFR
    assert any("EMAIL;TYPE=INTERNET:\n" in t for t in texts)  # empty fields (RESPEL)
    assert any("\r\n " in t for t in texts)  # folded lines
    assert any("\\," in t for t in texts) and any("\\;" in t for t in texts)  # escaped (Edurep)
    assert any("KIND:org" in t for t in texts)  # vCard 4 (HS-OER-LOM)
    assert len(REAL_VCARDS) == 96


# (vCard text, expected agent) for the quirks, one at a time.
VCARD_EDGE_CASES = [
    pytest.param(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Marc-Antoine\r\n  Parent\r\nEMAIL:map@ntic.org\r\nX-SKYPE:maparent\r\n"
        "END:VCARD",
        {"type": "Person", "name": "Marc-Antoine Parent", "email": "map@ntic.org"},
        id="folded-line",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=\n=C3=BCller\nEND:VCARD",
        {"type": "Person", "name": "Jürgen Müller"},
        id="quoted-printable-with-soft-break",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Fran=E7ois\nEND:VCARD",
        {"type": "Person", "name": "François"},
        id="quoted-printable-latin-1",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nN:Bergeron;Frédéric;;;\nEND:VCARD",
        {"type": "Person", "name": "Frédéric Bergeron"},
        id="n-only",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nN:Kolb;Annika;Maria;Dr.;PhD\nEND:VCARD",
        {"type": "Person", "name": "Dr. Annika Maria Kolb, PhD"},
        id="n-with-prefix-and-suffix",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nORG:Collège Lionel-Groulx;Service des TIC\nEND:VCARD",
        {"type": "Organization", "name": "Collège Lionel-Groulx, Service des TIC"},
        id="org-only-with-unit",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Tim Howes\nEMAIL;TYPE=INTERNET:howes@netscape.com\n"
        "EMAIL;TYPE=INTERNET,PREF:tim@example.org\nEND:VCARD",
        {"type": "Person", "name": "Tim Howes", "email": "tim@example.org"},
        id="preferred-email",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Mair\nEMAIL:mailto:anna@example.org\nEMAIL:not an address\nEND:VCARD",
        {"type": "Person", "name": "Anna Mair", "email": "anna@example.org"},
        id="mailto-email",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nitem1.EMAIL;type=INTERNET:jd@example.org\nfn:John Doe\nEND:VCARD",
        {"type": "Person", "name": "John Doe", "email": "jd@example.org"},
        id="grouped-and-lower-case-names",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Thomas Dacher\nURL:http://orcid.org/0000-0002-5962-0349/\nEND:VCARD",
        {"type": "Person", "name": "Thomas Dacher", "id": "https://orcid.org/0000-0002-5962-0349"},
        id="orcid-becomes-id",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:PH Freiburg\nURL:https://www.wikidata.org/wiki/Q1441203\nEND:VCARD",
        {"type": "Organization", "name": "PH Freiburg", "id": "http://www.wikidata.org/entity/Q1441203"},
        id="wikidata-becomes-entity-iri",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Jean Dupont\nURL:http://www.exa\n mple.org:8080/jean\nEND:VCARD",
        {"type": "Person", "name": "Jean Dupont"},
        id="folded-url-with-colon-is-not-a-property",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Smith\\, Jones \\; Partners\\nLondon\nORG:Smith\\, Jones \\; Partners\\nLondon\n"
        "END:VCARD",
        {"type": "Organization", "name": "Smith, Jones ; Partners London"},
        id="escapes",
    ),
    pytest.param(
        "BEGIN:VCARD\nVERSION:3.0\nFN:\nN:;;;;\nORG:default;;\nEND:VCARD",
        None,
        id="placeholder-only",
    ),
    pytest.param("  \n  ", None, id="blank"),
    pytest.param("", None, id="empty"),
    pytest.param(None, None, id="none"),
    pytest.param("just a name", None, id="not-a-vcard"),
]


@pytest.mark.parametrize(("text", "expected"), VCARD_EDGE_CASES)
def test_vcard_quirks(text: str | None, expected: dict[str, str] | None) -> None:
    assert vcard_agent(text) == expected


def test_vcard_with_full_size_photo() -> None:
    """A real Normetic vCard with its PHOTO as long as the largest real one (88 kB)."""
    row = next(r for r in REAL_VCARDS if "PHOTO" in r["vcard"] and "Myriam Germain" in r["vcard"])
    head, _, photo = row["vcard"].partition("PHOTO;")
    first, _, rest = photo.partition("\r\n ")
    big = head + "PHOTO;" + first + ("\r\n " + "A" * 75) * 1200 + "\r\n " + rest
    assert len(big) > 88_000
    assert (
        vcard_agent(big)
        == row["expected"]
        == {
            "type": "Person",
            "name": "Myriam Germain",
            "email": "info@vteducation.org",
        }
    )
    # parsed once, then served from the digest-keyed cache: still equal, still a fresh dict
    again = vcard_agent(big)
    assert again == row["expected"] and again is not vcard_agent(big)
    again["name"] = "changed"
    assert vcard_agent(big)["name"] == "Myriam Germain"


def test_vcard_results_are_fresh_copies() -> None:
    text = "BEGIN:VCARD\nFN:Codarts Rotterdam\nN:Codarts Rotterdam;;;;\nORG:Codarts Rotterdam\nEND:VCARD"
    first = vcard_agent(text)
    assert first == {"type": "Organization", "name": "Codarts Rotterdam"}
    first["name"] = "changed by a caller"
    assert vcard_agent(text) == {"type": "Organization", "name": "Codarts Rotterdam"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ministère de la Fédération Wallonie-Bruxelles", True),  # lom/lom_respel_cfwb_5214.xml
        ("Commission des Outils d'Evaluation pour les Humanités générales et technologiques", True),  # same
        ("Dept. Innere Medizin, Albertinen-Krankenhaus Hamburg", True),  # oai-pmh/anatomytool_…
        ("Département de Biologie", True),  # lom/normetic_v1.1_eureka_enzyme_animation.xml
        ("Université de Nantes", True),  # lom/lomfr_canal-u_67.xml
        ("Universität Tübingen", True),  # lom/hs-oer-lom_de_fragment_metametadata.xml
        ("Technische Universiteit Delft", True),
        ("Consejería de Educación y Deporte. Junta de Andalucía", True),  # lom/lomes_exelearning_rea_…
        ("Bibliotheek Wageningen University & Research", True),  # oai-pmh/meresco-edurep_…_page1.xml
        ("Bruinsma, S.L.", False),  # oai-pmh/tudelft_listrecords_oai_dc_page1.xml
        ("Laura Laserna Rojo", False),  # lom/lomes_exelearning_rea_andalucia_asi_soy_yo.xml
        ("Isabelle Delisle", False),
        ("Pressman, Roger", False),  # 'press' is a word, not a prefix
    ],
)
def test_organization_guess(name: str, expected: bool) -> None:
    assert looks_like_organization(name) is expected


# ---------------------------------------------------------------- text and URLs


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  La bataille\n   de Verdun\t", "La bataille de Verdun"),
        (
            "Histoire de la formation des adultes \x96 1",
            "Histoire de la formation des adultes – 1",
        ),  # lom/lomfr_canal-u
        ("l\x92intermédiaire", "l’intermédiaire"),  # lom/lom_aquops_valid_zxx_language.xml
        ("a\x00b\x1bc\x7fd", "abcd"),
        ("\ufeffTitle", "Title"),
        ("x\x81y", "xy"),  # 0x81 is not a Windows-1252 character either
        ("non\xa0breaking", "non breaking"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_line(raw: str | None, expected: str) -> None:
    assert clean_line(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (  # oai-pmh/meresco-edurep_listrecords_lom_set_surf_page2_final.xml: &#13; and indentation
            "Learning objective:&\r\n\r\n                - Explain the effect\r\n                on wages\n",
            "Learning objective:&\n\n- Explain the effect\non wages",
        ),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("tab\tand\xa0space", "tab and space"),
        ("dash \x96 here\x00", "dash – here"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_block(raw: str | None, expected: str) -> None:
    assert clean_block(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # lom/edurep_sru_searchretrieve_czp_lom.xml: newline and indentation after the URL
        (
            "http://nl.wikipedia.org/wiki/Elektrische_fiets\n                                ",
            "http://nl.wikipedia.org/wiki/Elektrische_fiets",
        ),
        (  # oai-pmh/meresco-edurep_listrecords_lom_set_surf_page1.xml
            "\n                https://surfsharekit.nl/objectstore/182216be-31a2-43c3-b7de-e5dd355b09f7\n   ",
            "https://surfsharekit.nl/objectstore/182216be-31a2-43c3-b7de-e5dd355b09f7",
        ),
        ("\nhttp://copac.ac.uk/oai-pmh\n", "http://copac.ac.uk/oai-pmh"),  # oai-pmh/copac_…_token_whitespace.xml
        ("aorta 20x doghttp://fhmloisrv1501.unimaas.nl/anatomie/x.html", None),  # oai-pmh/anatomytool_…
        ("application/pdf, http://content.library.tudelft.nl/x.pdf", None),  # oai-pmh/tudelft_…_newlines_in_text
        ("http://example.org/a/very/long\n        /path?x=1", "http://example.org/a/very/long/path?x=1"),
        ("<http://example.org/a>", "http://example.org/a"),
        ("\ufeffhttp://example.org/", "http://example.org/"),
        ("HTTP://Example.ORG/Path?Q=A", "http://example.org/Path?Q=A"),
        ("https://user:Secret@Example.org/", "https://user:Secret@Example.org/"),
        ("http://example.org/a b", None),
        ("http://exa%zzmple.org/", None),
        ("http://a/b#c#d", None),
        ("ftp://a/b", None),
        ("", None),
        (None, None),
    ],
)
def test_web_url(raw: str | None, expected: str | None) -> None:
    assert web_url(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Non disponible", True),  # normetic_v1.2_eureka_portfolio.xml lifeCycle/version
        ("non applicable", True),  # normetic_v1.2_eureka_bigbluebutton.xml (version)
        (" N/A. ", True),
        ("1.0", False),
        ("mars 2011", False),
        (None, True),
    ],
)
def test_placeholders(text: str | None, expected: bool) -> None:
    assert is_placeholder(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45061194", 45061194),  # hs-oer-lom_de_full-example-a.xml technical/size
        ("8192", 8192),  # scolomfr_v3.2_reference_manual_example_verdun.xml technical/size
        ("14 MB", 14_000_000),
        ("1,5 GB", 1_500_000_000),
        ("300 KiB", 307_200),
        ("12 pages", None),  # DataCite sizes may be pages
        (None, None),
    ],
)
def test_byte_sizes(text: str | None, expected: int | None) -> None:
    assert byte_size(text) == expected
