"""The partnership table: one row per partnership (from time 0, those running at time 0 and
those formed since), members as a link table."""

from __future__ import annotations

import numpy as np

# The ladder of formality (BRIEF: informal cluster -> funded programme -> federation -> trust).
# A federation: maintained schools under one governing body, mostly two or three. A trust: a
# multi-academy trust, a legal body holding academies, growing as schools join (sim.rules.trusts).
INFORMAL, FUNDED, FEDERATION, TRUST = 0, 1, 2, 3
KIND_NAMES = ("informal", "funded", "federation", "trust")
KIND_CODES = {name: code for code, name in enumerate(KIND_NAMES)}
FORMAL_KINDS = (FEDERATION, TRUST)  # held by governance: they never break up as a whole


def is_formal(kind: np.ndarray) -> np.ndarray:
    """Which of ``kind`` are in ``FORMAL_KINDS`` (``np.isin``, without its cost per call)."""
    return (kind == FEDERATION) | (kind == TRUST)


# How a partnership came about.
ORIGIN_NAMES = ("initial", "organic", "programme", "intervention", "executive_head", "rise")
ORIGIN_CODES = {name: code for code, name in enumerate(ORIGIN_NAMES)}

# Why a partnership ended (BRIEF process 4), or why a school left one: ``joined_trust`` (a
# federation's school converted or was sponsored into a trust), ``transferred`` (rebrokered from
# one trust to another).
REASON_NAMES = ("not_worth_it", "funding_ended", "head_left", "competition", "drift",
                "joined_trust", "transferred")
REASON_CODES = {name: code for code, name in enumerate(REASON_NAMES)}

# Focus of joint work (S3: teaching and learning; leadership; data and assessment).
FOCUS_NAMES = ("teaching_learning", "leadership", "data_assessment")

ACTIVE = -1  # end_reason of a partnership still running

# Partnership columns: dtype, and what a new row holds before ``add`` sets its own fields.
_COLUMNS = {
    "kind": (np.int8, 0), "origin": (np.int8, 0), "focus": (np.int8, 0), "lead": (np.int64, -1),
    "formed_at": (np.float64, 0.0), "formalised_at": (np.float64, np.nan),
    "ended_at": (np.float64, np.nan), "end_reason": (np.int8, ACTIVE),
    "strength": (np.float64, 0.0), "impact_measure": (np.bool_, False), "n_members": (np.int64, 0),
    "funding_gbp": (np.float64, 0.0), "funding_rate_gbp": (np.float64, 0.0),
    "funded_until": (np.float64, np.nan), "spent_gbp": (np.float64, 0.0),
    "benefit": (np.float64, 0.0), "time_cost": (np.float64, 0.0),
}
COLUMNS = tuple(_COLUMNS)

# Columns a rule may change on existing rows (``update``). The others change only with a row's
# life: ``add``, ``join``, ``leave``, ``end`` and ``fund``.
UPDATABLE = ("kind", "formalised_at", "focus", "strength", "impact_measure", "benefit", "time_cost",
             "spent_gbp")
# The member link table: one row per membership, with when it began and ended (and why).
# ``how``: the school came in as the partnership began (its origin) or, joining later, by choice
# ("organic") or brokered after a failing grade ("intervention": sponsored).
_LINKS = {"pid": (np.int64, 0), "school": (np.int64, 0), "active": (np.bool_, False),
          "joined": (np.float64, np.nan), "left": (np.float64, np.nan), "reason": (np.int8, ACTIVE),
          "how": (np.int8, 0)}
_HISTORY = ("pid", "school", "joined", "left", "reason", "how")  # what an ended membership keeps


def _blank(spec: dict, name: str, n: int) -> np.ndarray:
    """``n`` new entries of column ``name`` of ``spec`` (_COLUMNS or _LINKS), at their default."""
    dtype, default = spec[name]
    return np.full(n, default, dtype=dtype)


def _read_only(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A view of each column that refuses writes."""
    views = {name: column.view() for name, column in columns.items()}
    for view in views.values():
        view.flags.writeable = False
    return views


class PartnershipTable:
    """Partnerships as columns of numpy arrays (grown by doubling) plus a member link table.

    Rows change only through the methods: ``add``, ``join``, ``leave`` and ``end`` for membership
    and a partnership's life (so a link is active exactly while its partnership is), ``fund`` for
    awards and ``update`` for the columns in ``UPDATABLE``. The columns outsiders see
    (``table.kind``, ``table.strength``, ...) are read-only views.
    """

    def __init__(self, n_schools: int, capacity: int = 64) -> None:
        self.n_schools = n_schools
        self.size = 0
        self._cols = {name: _blank(_COLUMNS, name, capacity) for name in _COLUMNS}
        self._views = _read_only(self._cols)
        self.n_links = 0
        for name in _LINKS:  # link_pid, link_school, link_active, link_joined, link_left, ...
            setattr(self, f"link_{name}", _blank(_LINKS, name, capacity * 3))
        # Memberships that ended, moved out of the link table when it is compacted.
        self.past_links = {name: _blank(_LINKS, name, 0) for name in _HISTORY}
        self._members: list[list[int]] = []  # per partnership: its schools (the last, once ended)
        self._link_rows: list[list[int]] = []  # per partnership: its rows in the link table
        self._pairs: dict[int, int] = {}  # pair key -> number of active partnerships sharing it
        # Active memberships among the link table's first ``_links_upto`` rows (``links``): kept
        # while rows are added (``add``, ``join``) and whole partnerships end (``end``: filtered
        # out at the next ``links``), dropped when one school leaves.
        self._links_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._links_upto = 0
        self._links_ended = False  # partnerships ended since the cache was made
        self._active_cache: np.ndarray | None = None

    # -- changes -----------------------------------------------------------------------------
    def add(self, members, kind: int, t_years: float, origin: str, *, lead: int = -1,
            focus: int = 0, impact_measure: bool = False) -> int:
        """Start a partnership of ``members`` (school indices); return its id."""
        members = sorted({int(m) for m in members})
        if len(members) < 2:
            raise ValueError("a partnership needs at least two member schools")
        pid = self.size
        self._grow_rows(pid + 1)
        cols = self._cols
        cols["kind"][pid] = kind
        cols["origin"][pid] = ORIGIN_CODES[origin]
        cols["focus"][pid] = focus
        cols["lead"][pid] = lead
        cols["formed_at"][pid] = t_years
        if kind in FORMAL_KINDS:
            cols["formalised_at"][pid] = t_years
        cols["impact_measure"][pid] = impact_measure
        cols["n_members"][pid] = len(members)
        self.size += 1
        pairs, n = self._pairs, self.n_schools
        for i, a in enumerate(members):  # sorted, so a < b: the pair key
            for b in members[i + 1:]:
                pairs[a * n + b] = pairs.get(a * n + b, 0) + 1
        first = self.n_links
        self._grow_links(first + len(members))
        self.link_pid[first:first + len(members)] = pid
        self.link_school[first:first + len(members)] = members
        self.link_active[first:first + len(members)] = True
        self.link_joined[first:first + len(members)] = t_years
        self.link_how[first:first + len(members)] = ORIGIN_CODES[origin]
        self.n_links += len(members)
        self._members.append(members)
        self._link_rows.append(list(range(first, first + len(members))))
        self._active_cache = None
        return pid

    def join(self, pid: int, school: int, t_years: float, how: str = "organic") -> None:
        """Add ``school`` to the active partnership ``pid`` at ``t_years``, by choice
        (``how="organic"``) or sponsored (``"intervention"``)."""
        school, pairs, n = int(school), self._pairs, self.n_schools
        for other in self._members[pid]:  # pair_key, inline: trusts take in tens of thousands
            key = school * n + other if school < other else other * n + school
            pairs[key] = pairs.get(key, 0) + 1
        self._members[pid].append(school)
        self._link_rows[pid].append(self.n_links)
        self._grow_links(self.n_links + 1)
        self.link_pid[self.n_links] = pid
        self.link_school[self.n_links] = school
        self.link_active[self.n_links] = True
        self.link_joined[self.n_links] = t_years
        self.link_how[self.n_links] = ORIGIN_CODES[how]
        self.n_links += 1
        self._cols["n_members"][pid] += 1

    def fund(self, pid: int, amount_gbp: float, duration_years: float, t_years: float) -> None:
        """Award ``amount_gbp`` to partnership ``pid``, drawn down evenly over ``duration_years``."""
        self._cols["kind"][pid] = FUNDED
        self._cols["funding_gbp"][pid] += amount_gbp
        self._cols["funding_rate_gbp"][pid] = amount_gbp / duration_years
        self._cols["funded_until"][pid] = t_years + duration_years
        self._cols["impact_measure"][pid] = True  # programmes insist on measures (S2 LA lesson 4)

    def float_columns(self) -> list[tuple[str, np.ndarray, bool]]:
        """Each float column over the rows in use, read-only, with whether NaN is its blank
        (``ended_at`` is NaN until a partnership ends): what the non-finite check looks at."""
        return [(name, view[: self.size], bool(np.isnan(_COLUMNS[name][1])))
                for name, view in self._views.items() if view.dtype.kind == "f"]

    def update(self, pids, **columns) -> None:
        """Set columns (names from ``UPDATABLE``) of partnerships ``pids``, e.g.
        ``update(ids, strength=new_strength)``."""
        for name, values in columns.items():
            if name not in UPDATABLE:
                raise ValueError(f"partnership column {name!r} cannot be updated: it changes only "
                                 f"through add, join, leave, end or fund; updatable: {UPDATABLE}")
            self._cols[name][pids] = values

    def leave(self, pid: int, school: int, reason: str, t_years: float) -> None:
        """Take ``school`` out of the active partnership ``pid`` (which keeps its other members)
        at ``t_years``, for ``reason`` (a name from ``REASON_NAMES``)."""
        members = self._members[pid]
        members.remove(school)
        for other in members:
            key = self.pair_key(school, other)
            self._pairs[key] -= 1
            if self._pairs[key] == 0:
                del self._pairs[key]
        rows = self._link_rows[pid]
        row = next(r for r in rows if self.link_school[r] == school and self.link_active[r])
        self.link_active[row] = False
        self.link_left[row] = t_years
        self.link_reason[row] = REASON_CODES[reason]
        self._cols["n_members"][pid] -= 1
        self._links_cache = None
        self._links_ended = False
        self._active_cache = None

    def end(self, pids, reason, t_years: float) -> None:
        """End the active partnerships ``pids`` at ``t_years``, for ``reason`` (a name from
        ``REASON_NAMES``, or one name per partnership)."""
        pids = np.atleast_1d(np.asarray(pids, dtype=np.int64))
        if len(pids) == 0:
            return
        assert np.all(self._cols["end_reason"][pids] == ACTIVE), "ending an ended partnership"
        codes = (np.full(len(pids), REASON_CODES[reason]) if isinstance(reason, str)
                 else np.array([REASON_CODES[r] for r in reason]))
        self._cols["ended_at"][pids] = t_years
        self._cols["end_reason"][pids] = codes
        pairs, rows, n_rows = self._pairs, [], []
        for pid in pids.tolist():
            members = self._members[pid]
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    key = a * self.n_schools + b if a < b else b * self.n_schools + a  # pair_key
                    if pairs[key] == 1:
                        del pairs[key]
                    else:
                        pairs[key] -= 1
            rows += self._link_rows[pid]
            n_rows.append(len(self._link_rows[pid]))
        rows = np.array(rows, dtype=np.int64)
        still = self.link_active[rows]  # members to the end (not those who left before)
        self.link_left[rows[still]] = t_years
        self.link_reason[rows[still]] = np.repeat(codes, n_rows)[still]
        self.link_active[rows] = False
        self._links_ended = True
        self._active_cache = None

    def drop_ended(self) -> None:
        """Forget the partnerships that have ended, and renumber the running ones 0, 1, ... in
        their order (their links, past memberships and members go with them). The model calls
        this at time 0: the spin-up's ended history is five rows in six of the table at
        national scale (97,795 rows, 15,616 running), is never in the results, and every
        per-partnership array of every step would otherwise be that much longer."""
        self._compact_links()  # the link table keeps the active memberships: all of kept rows
        keep = np.flatnonzero(self._cols["end_reason"][: self.size] == ACTIVE)
        new_id = np.full(self.size, -1, dtype=np.int64)
        new_id[keep] = np.arange(len(keep))
        self._cols = {name: column[keep] for name, column in self._cols.items()}
        self._views = _read_only(self._cols)
        self.size = len(keep)
        self.link_pid[: self.n_links] = new_id[self.link_pid[: self.n_links]]
        kept = new_id[self.past_links["pid"]] >= 0  # earlier members of the running ones
        self.past_links = {name: column[kept] for name, column in self.past_links.items()}
        self.past_links["pid"] = new_id[self.past_links["pid"]]
        self._members = [self._members[pid] for pid in keep.tolist()]
        self._link_rows = [self._link_rows[pid] for pid in keep.tolist()]
        self._links_cache, self._links_upto, self._links_ended = None, 0, False
        self._active_cache = None

    # -- queries -----------------------------------------------------------------------------
    @property
    def active(self) -> np.ndarray:
        """Mask over rows: partnerships still running."""
        return self.end_reason == ACTIVE

    def active_ids(self) -> np.ndarray:
        """Ids of the partnerships still running, cached until the table changes."""
        if self._active_cache is None:
            self._active_cache = np.flatnonzero(self.end_reason == ACTIVE)
        return self._active_cache

    def links_by_row(self, kind: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For per-partnership arrays over the running partnerships (of ``kind``, if given) only:
        their ids, and for each of their active memberships (``links`` order) the partnership,
        the school and the row, the partnership's position in the ids. Ids run over every
        partnership formed since time 0 too: by the end of a run, several times more."""
        pid, school = self.links()
        ids = self.active_ids()
        if kind is not None:
            on = self.kind[pid] == kind
            pid, school = pid[on], school[on]
            ids = ids[self.kind[ids] == kind]
        row_of = np.empty(self.size, dtype=np.int64)
        row_of[ids] = np.arange(len(ids))
        return ids, pid, school, row_of[pid]

    def links(self) -> tuple[np.ndarray, np.ndarray]:
        """(partnership id, school) of every active membership, in link-table order, cached until
        a school leaves a partnership; the cache drops the memberships of partnerships ended
        since and takes the active rows added since, which is cheaper than a pass over the whole
        table (links are asked for a dozen times a step)."""
        n, upto = self.n_links, self._links_upto
        if self._links_cache is None:
            on = self.link_active[:n]
            self._links_cache = (self.link_pid[:n][on], self.link_school[:n][on])
        else:
            pid, school = self._links_cache
            if self._links_ended:  # an ended partnership's memberships all ended, no other's
                running = self._cols["end_reason"][pid] == ACTIVE
                pid, school = pid[running], school[running]
            if n > upto:  # rows added since (some may have ended already)
                new = upto + np.flatnonzero(self.link_active[upto:n])
                pid = np.concatenate([pid, self.link_pid[new]])
                school = np.concatenate([school, self.link_school[new]])
            self._links_cache = (pid, school)
        self._links_upto, self._links_ended = n, False
        if self._compaction_due(len(self._links_cache[0])):
            self._compact_links()  # keeps the active rows in order: the cache stays right
            self._links_upto = self.n_links
        return self._links_cache

    def _compaction_due(self, n_active: int) -> bool:
        """Whether the link table is more than half ended memberships (and not small)."""
        return self.n_links > 1024 and self.n_links > 2 * n_active

    def _compact_links(self) -> None:
        """Move the rows of ended memberships out of the link table, into ``past_links``."""
        keep = np.flatnonzero(self.link_active[: self.n_links])
        ended = np.flatnonzero(~self.link_active[: self.n_links])
        for name in _HISTORY:
            self.past_links[name] = np.concatenate([self.past_links[name],
                                                    getattr(self, f"link_{name}")[ended]])
        ended_pids = np.unique(self.link_pid[ended])
        for pid in ended_pids[self._cols["end_reason"][ended_pids] != ACTIVE].tolist():
            self._link_rows[pid] = []
        new_row = np.full(self.n_links, -1, dtype=np.int64)
        new_row[keep] = np.arange(len(keep))
        for name in _LINKS:
            column = getattr(self, f"link_{name}")
            column[: len(keep)] = column[keep]
            column[len(keep): self.n_links] = _LINKS[name][1]  # free rows hold defaults
        self.n_links = len(keep)
        new_row = new_row.tolist()  # plain Python for the loop over every running partnership
        for pid in np.unique(self.link_pid[: self.n_links]).tolist():
            self._link_rows[pid] = [new_row[r] for r in self._link_rows[pid] if new_row[r] >= 0]

    def members(self, pid: int) -> np.ndarray:
        """Schools currently (or, once ended, last) in partnership ``pid``."""
        return np.array(self._members[pid], dtype=np.int64)

    def trust_of(self, n_schools: int) -> np.ndarray:
        """Each school's multi-academy trust (partnership id), -1 if none (a school is in one
        at most)."""
        pid, school = self.links()
        in_trust = self.kind[pid] == TRUST
        trust_of = np.full(n_schools, -1, dtype=np.int64)
        trust_of[school[in_trust]] = pid[in_trust]
        return trust_of

    def member_lists(self) -> list[list[int]]:
        """Members of every partnership, by id (current, or last for ended ones)."""
        return self._members

    def memberships(self, pids) -> dict[str, np.ndarray]:
        """Every membership, past and present, of the partnerships ``pids``: partnership, school,
        when it joined and left (NaN while a member), why it left (a ``REASON_NAMES`` code; -1
        while a member) and how it came in (an ``ORIGIN_NAMES`` code), ordered by partnership,
        then time joined, then school."""
        table = {name: np.concatenate([self.past_links[name],
                                       getattr(self, f"link_{name}")[: self.n_links]])
                 for name in _HISTORY}
        wanted = np.zeros(self.size, dtype=bool)
        wanted[np.asarray(pids, dtype=np.int64)] = True
        rows = np.flatnonzero(wanted[table["pid"]])
        rows = rows[np.lexsort((table["school"][rows], table["joined"][rows], table["pid"][rows]))]
        return {name: column[rows] for name, column in table.items()}

    def count_per_school(self, kinds=None) -> np.ndarray:
        """Number of active partnerships each school belongs to (optionally of the given kinds)."""
        pid, school = self.links()
        if kinds is not None:
            wanted = np.zeros(len(KIND_NAMES), dtype=bool)
            wanted[kinds] = True
            school = school[wanted[self.kind[pid]]]
        return np.bincount(school, minlength=self.n_schools)

    def joined_since(self, t_years: float) -> np.ndarray:
        """Per partnership id: how many of its current members joined at or after ``t_years``
        (a trust's recent growth)."""
        on = self.link_active[: self.n_links] & (self.link_joined[: self.n_links] >= t_years)
        return np.bincount(self.link_pid[: self.n_links][on], minlength=self.size)

    def pair_key(self, a: int, b: int) -> int:
        a, b = (a, b) if a < b else (b, a)
        return int(a) * self.n_schools + int(b)

    def partnered(self, a: int, b: int) -> bool:
        """Whether schools ``a`` and ``b`` share an active partnership."""
        return self.pair_key(a, b) in self._pairs

    def pair_keys(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised ``pair_key``."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        return lo.astype(np.int64) * self.n_schools + hi

    def partnered_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised ``partnered`` over arrays of school pairs."""
        keys = self.pair_keys(np.asarray(a), np.asarray(b))
        pairs = self._pairs  # a lookup per pair: cheaper than sorting every key for few queries
        return np.fromiter((key in pairs for key in keys.ravel().tolist()), dtype=bool,
                           count=keys.size).reshape(keys.shape)

    # -- storage -----------------------------------------------------------------------------
    def _grow_rows(self, needed: int) -> None:
        capacity = len(self._cols["kind"])
        if needed <= capacity:
            return
        new = max(needed, 2 * capacity)
        for name, col in self._cols.items():
            grown = _blank(_COLUMNS, name, new)
            grown[:capacity] = col
            self._cols[name] = grown
        self._views = _read_only(self._cols)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_views"]  # pickled views would be copies: rebuilt over the columns instead
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._views = _read_only(self._cols)

    def _grow_links(self, needed: int) -> None:
        capacity = len(self.link_pid)
        if needed <= capacity:
            return
        new = max(needed, 2 * capacity)
        for name in _LINKS:
            col = getattr(self, f"link_{name}")
            grown = _blank(_LINKS, name, new)
            grown[:capacity] = col
            setattr(self, f"link_{name}", grown)


def _column(name: str) -> property:
    return property(lambda self: self._views[name][: self.size],
                    doc=f"Column ``{name}`` over every partnership formed so far (a read-only view).")


# One read-only view per column (``table.kind``, ``table.strength``, ...); writes go through methods.
for _name in _COLUMNS:
    setattr(PartnershipTable, _name, _column(_name))
