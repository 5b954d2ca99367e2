"""Valid side-effect cases as CSV and XML for the safety database.

The XML is *shaped on* the ICH E2B individual case safety report: the minimum fields, under
the element names of the ICH ``ichicsr`` message (safetyreport, primarysource, patient,
reaction, drug), each marked with the number of the E2B(R3) data element it carries. It is not
a validated or certified E2B(R3) (HL7) message: the safety database imports it and the safety
team completes the case there.

Nothing here names the member: no handle, no address. The patient is "MSK" (masked) and age
and sex are unknown; the reporter is a consumer in the member's country.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET  # builds the export; parses nothing  # nosec B405
from datetime import date

from .deadlines import day_zero
from .models import AdverseEventCase, CaseStatus, Seriousness

#: E2B C.2.r.4 reporter qualification: 5 = consumer or other non-health professional.
CONSUMER = "5"
#: E2B G.k.1 drug role: 1 = suspect.
SUSPECT = "1"
#: E2B null flavours: masked (kept back for privacy) and unknown.
MASKED = "MSK"
UNKNOWN = "UNK"

CSV_COLUMNS = (
    "safety_report_id", "status", "receipt_date", "creation_date", "reporter_qualification",
    "reporter_country", "patient", "patient_age", "patient_sex", "suspect_medicines",
    "reactions", "serious", "narrative", "forwarded_date",
)  # fmt: skip


def _date(value: date | None) -> str:
    """E2B dates: CCYYMMDD."""
    return value.strftime("%Y%m%d") if value else ""


def _serious(case: AdverseEventCase) -> str:
    """E2B seriousness: 1 yes, 2 no; a case not yet assessed counts as serious."""
    return "2" if case.seriousness == Seriousness.NON_SERIOUS else "1"


def _row(case: AdverseEventCase, zone: str) -> dict[str, str]:
    return {
        "safety_report_id": case.reference,
        "status": case.status,
        "receipt_date": _date(day_zero(case.day_zero_at, zone)),
        "creation_date": _date(day_zero(case.created_at, zone)),
        "reporter_qualification": CONSUMER,
        "reporter_country": case.author_country or UNKNOWN,
        "patient": MASKED,
        "patient_age": UNKNOWN,
        "patient_sex": UNKNOWN,
        "suspect_medicines": "; ".join(case.medicines),
        "reactions": "; ".join(case.reactions),
        "serious": _serious(case),
        "narrative": case.narrative or "",
        "forwarded_date": _date(day_zero(case.forwarded_at, zone))
        if case.status == CaseStatus.FORWARDED
        else "",
    }


def _cell(value: str) -> str:
    # A cell starting like a formula would run in a spreadsheet: make it plain text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(cases: list[AdverseEventCase], zone: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for case in cases:
        row = _row(case, zone)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _element(parent: ET.Element, name: str, text: str | None, r3: str | None = None, **attrs):
    element = ET.SubElement(parent, name, attrs)
    if r3:
        element.set("e2b", r3)
    if text is not None:
        element.text = text
    return element


def as_xml(cases: list[AdverseEventCase], zone: str, sender: str, created) -> bytes:
    """One ``ichicsr`` document with a ``safetyreport`` per case."""
    root = ET.Element("ichicsr", {"lang": "en"})
    root.append(ET.Comment(" Shaped on ICH E2B(R3) minimum fields; not a certified E2B message "))
    header = ET.SubElement(root, "ichicsrmessageheader")
    _element(header, "messagetype", "ichicsr")
    _element(header, "messagesenderidentifier", sender)
    _element(header, "messagedate", created.strftime("%Y%m%d%H%M%S"))
    for case in cases:
        row = _row(case, zone)
        report = ET.SubElement(root, "safetyreport")
        _element(report, "safetyreportid", row["safety_report_id"], "C.1.1")
        _element(report, "reporttype", "1", "C.1.3")  # 1 = spontaneous report
        _element(report, "creationdate", row["creation_date"], "C.1.2")
        _element(report, "receiptdate", row["receipt_date"], "C.1.4")
        _element(report, "serious", row["serious"], "E.i.3.2")
        source = ET.SubElement(report, "primarysource")
        _element(source, "qualification", CONSUMER, "C.2.r.4")
        _element(source, "reportercountry", row["reporter_country"], "C.2.r.3")
        patient = ET.SubElement(report, "patient")
        _element(patient, "patientinitial", None, "D.1", nullFlavor=MASKED)
        _element(patient, "patientonsetage", None, "D.2.2a", nullFlavor=UNKNOWN)
        _element(patient, "patientsex", None, "D.5", nullFlavor=UNKNOWN)
        for label in case.reactions:
            reaction = ET.SubElement(patient, "reaction")
            _element(reaction, "primarysourcereaction", label, "E.i.1.2")
            _element(reaction, "reactionlanguage", "en", "E.i.1.1b")
        for generic in case.medicines:
            drug = ET.SubElement(patient, "drug")
            _element(drug, "drugcharacterization", SUSPECT, "G.k.1")
            _element(drug, "medicinalproduct", generic, "G.k.2.2")
            substance = ET.SubElement(drug, "activesubstance")
            _element(substance, "activesubstancename", generic, "G.k.2.3.r.1")
        summary = ET.SubElement(patient, "summary")
        _element(summary, "narrativeincludeclinical", row["narrative"], "H.1")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
