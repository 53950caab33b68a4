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
