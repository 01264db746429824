"""The engine tests' assignment: step titles only (see coursetools/course/plugins.py), translated
in translations/messages.<language>.po."""

from coursetools.course.language import N_

STEP_TITLES = {
    "test-squares": N_("1. Squares"),
    "test-values": N_("2. Values"),
    "test-normalize": N_("3. Normalize"),
    "reflection": N_("4. Reflection"),
}
