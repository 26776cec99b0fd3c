"""CVSS v3.x and v4.0 vectors parsed and scored with the `cvss` library (pure)."""

from dataclasses import dataclass
from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from django.utils.translation import gettext as _

from roadie.releases.errors import InvalidCvss


@dataclass(frozen=True)
class Score:
    vector: str  # normalised
    version: str  # "3.0", "3.1" or "4.0"
    score: Decimal
    severity: str  # none, low, medium, high, critical

    @property
    def osv_type(self) -> str:
        return "CVSS_V4" if self.version == "4.0" else "CVSS_V3"


def score_vector(vector: str, *, field: str = "cvss_vector") -> Score:
    text = (vector or "").strip()
    try:
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            parsed3 = CVSS3(text)
            return Score(
                vector=parsed3.clean_vector(),
                version=text[5:8],
                score=Decimal(str(parsed3.base_score)),
                severity=parsed3.severities()[0].lower(),
            )
        if text.startswith("CVSS:4.0/"):
            parsed4 = CVSS4(text)
            return Score(
                vector=parsed4.clean_vector(),
                version="4.0",
                score=Decimal(str(parsed4.base_score)),
                severity=str(parsed4.severity).lower(),
            )
    except CVSSError as error:
        raise InvalidCvss(
            _("The CVSS vector does not parse: %(error)s") % {"error": error}, field=field
        )
    raise InvalidCvss(_("A CVSS vector starts with CVSS:3.1/ (or 3.0) or CVSS:4.0/."), field=field)
