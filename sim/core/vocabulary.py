"""The model's basic vocabulary, defined once: phases, inspection grades, head statuses."""

from __future__ import annotations

import numpy as np

PRIMARY, SECONDARY = 0, 1
PHASE_NAMES = np.array(["primary", "secondary"])

# Inspection grades 1..4; 0 in a landscape's table means unknown (drawn from the mix).
GRADE_NAMES = ("outstanding", "good", "requires_improvement", "inadequate")
# Grade mix, outstanding .. inadequate (Ofsted, December 2018).
GRADE_SHARES = np.array([0.20, 0.65, 0.11, 0.04])

HEAD_IN_POST, HEAD_VACANT, HEAD_EXECUTIVE = 0, 1, 2
HEAD_STATUS_NAMES = ("in_post", "vacant", "executive")

# Spread of the latent quality scores (talent, capacity) between schools: assumption, on a 0-1 scale.
QUALITY_SD = 0.12
SMALL_PRIMARY_PUPILS = 110  # "small" as in RSN/CofE 2014 (33% of rural primaries are under 110)

# Ofsted report cards (2025 framework, in force since 10 November 2025): a five-point scale in six
# evaluation areas, plus safeguarding met / not met. Points 1..5; 0 = no report card yet.
REPORT_CARD_POINTS = ("exceptional", "strong_standard", "expected_standard", "needs_attention",
                      "urgent_improvement")
REPORT_CARD_AREAS = ("inclusion", "curriculum_and_teaching", "achievement",
                     "attendance_and_behaviour", "personal_development_and_wellbeing",
                     "leadership_and_governance")
# Share of schools at each point in every area, exceptional .. urgent improvement: assumption.
# Ofsted expects most schools at "expected standard" and "exceptional" to be rare, but has not
# published a distribution yet; below expected is set near the old RI + inadequate share (15%).
REPORT_CARD_SHARES = np.array([0.04, 0.24, 0.60, 0.10, 0.02])
