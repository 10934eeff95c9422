"""The dispatch roster optimiser: which doctor goes to which clinic on which working day of a month.

Plain dataclasses in, plain dataclasses out; no Django here, so the benchmark and the tests can run
it on generated instances. Messages are codes with parameters; ``yilian.roster.explain`` turns them
into translated sentences.

Hard rules: the doctor's title is at least the threshold; at most N days away per doctor per month;
at most P % of a department away on one working day (at least one doctor may always go); travel
time within the limit; no two doctors of the same specialty at one clinic on one day; a doctor is
in one place a day, only on official working days he is available; a clinic receives at most the
days of each specialty it asked for, on at most ``Clinic.max_days`` distinct days; pins hold and
forbids are respected.

Objectives, lexicographically: unmet clinic-days; fairness (spread max − min of days among the
doctors who could go); total travel minutes; continuity (fewest distinct doctor–clinic pairs, i.e.
the same doctor returns to the same clinic).

How it is fast enough for a province (1 000 doctors, 300 clinics): every rule links doctors only
through their specialty, their department and the clinic's day cap, so the problem splits exactly
into independent components (usually one per specialty). Each component is solved in stages
(unmet, then fairness with unmet fixed, then travel and continuity with fairness fixed), every stage
hinted with the previous one and the first with a greedy plan. A max-flow relaxation gives a quick
lower bound on unmet days; CP-SAT's proven bounds per component give the reported one.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ortools.graph.python import max_flow, min_cost_flow
from ortools.sat.python import cp_model

# ----------------------------------------------------------------------------- inputs


@dataclass
class Clinic:
    id: str
    name: str
    needs: dict[str, int]  # specialty → clinic-days wanted this month
    max_days: int | None = None  # distinct days the clinic receives doctors (programme rule); None: no cap


@dataclass
class Doctor:
    id: str
    name: str
    specialty: str
    title: int  # rank: 0 junior, 1 intermediate, 2 associate senior, 3 senior
    hospital: str
    department: str
    travel: dict[str, int]  # clinic id → minutes one way; clinics missing here are out of reach
    unavailable: frozenset[date] = frozenset()  # leave, duty, own clinic sessions
    max_days: int | None = None  # overrides Problem.max_days_away for this doctor

    @property
    def department_key(self) -> tuple[str, str]:
        return (self.hospital, self.department)


@dataclass(frozen=True)
class Pin:
    doctor: str
    clinic: str
    day: date


@dataclass(frozen=True)
class Forbid:
    doctor: str
    clinic: str
    day: date | None = None  # None: never this doctor at this clinic this month


@dataclass
class Problem:
    days: list[date]  # the month's official working days
    clinics: list[Clinic]
    doctors: list[Doctor]
    min_title: int = 1
    max_days_away: int = 2  # N
    department_share: int = 20  # P, percent of a department away on one day
    travel_limit: int = 90  # minutes one way
    pins: list[Pin] = field(default_factory=list)
    forbids: list[Forbid] = field(default_factory=list)
    department_sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # default: doctors listed


# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Assignment:
    doctor: str
    clinic: str
    day: date


@dataclass
class Conflict:
    """A hard rule that cannot hold, e.g. ("min_title", {"doctor": …, "clinic": …})."""

    rule: str
    params: dict


@dataclass
class Unmet:
    clinic: str
    specialty: str
    days: int  # clinic-days missing
    reason: str
    params: dict = field(default_factory=dict)


@dataclass
class Solution:
    status: str  # "optimal", "feasible", "conflict"
    assignments: list[Assignment] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    lower_bound: int = 0  # proven lower bound of unmet clinic-days
    flow_bound: int = 0  # the max-flow relaxation's bound (weaker, instant)
    demand: int = 0
    seconds: float = 0.0
    changed: dict = field(default_factory=dict)  # re-planning: what had to change and what else did

    @property
    def unmet_days(self) -> int:
        return sum(u.days for u in self.unmet)

    @property
    def gap(self) -> float:
        """Relative distance of unmet days to the proven bound (0.0 = proven best)."""
        if self.unmet_days == 0:
            return 0.0
        return (self.unmet_days - self.lower_bound) / self.unmet_days


@dataclass
class Progress:
    unmet: int  # best plan so far (unmet clinic-days)
    bound: int  # proven lower bound so far
    fraction: float  # share of the work done, 0..1
    stage: str


ProgressCallback = Callable[[Progress], None]


# ----------------------------------------------------------------------- preprocessing


class Index:
    """Who may go where on which day: the variables of the model, before any solver runs."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.days = sorted(set(problem.days))
        self.clinics = {c.id: c for c in problem.clinics}
        self.doctors = {d.id: d for d in problem.doctors}
        self.sizes = dict(problem.department_sizes)
        for doctor in problem.doctors:
            if doctor.department_key not in problem.department_sizes:
                self.sizes[doctor.department_key] = self.sizes.get(doctor.department_key, 0) + 1
        self.forbid_month = {(f.doctor, f.clinic) for f in problem.forbids if f.day is None}
        self.forbid_day = {(f.doctor, f.clinic, f.day) for f in problem.forbids if f.day is not None}
        self.options = self._options()

    def cap(self, department_key) -> int:
        return max(1, math.floor(self.sizes.get(department_key, 1) * self.problem.department_share / 100))

    def limit(self, doctor: Doctor) -> int:
        return self.problem.max_days_away if doctor.max_days is None else doctor.max_days

    def reachable(self, doctor: Doctor) -> list[tuple[str, int]]:
        """(clinic, minutes) the doctor may serve at all: title, specialty needed, travel, not forbidden."""
        if doctor.title < self.problem.min_title:
            return []
        result = []
        for clinic_id, minutes in doctor.travel.items():
            clinic = self.clinics.get(clinic_id)
            if (clinic is not None and clinic.needs.get(doctor.specialty, 0) > 0
                    and minutes <= self.problem.travel_limit and (doctor.id, clinic_id) not in self.forbid_month):
                result.append((clinic_id, minutes))
        return result

    def free_days(self, doctor: Doctor) -> list[date]:
        return [d for d in self.days if d not in doctor.unavailable]

    def _options(self) -> dict[tuple[str, str, date], int]:
        """Every (doctor, clinic, day) the rules allow, with its travel minutes."""
        options = {}
        for doctor in self.problem.doctors:
            if self.limit(doctor) <= 0:
                continue
            free = self.free_days(doctor)
            for clinic_id, minutes in self.reachable(doctor):
                for day in free:
                    if (doctor.id, clinic_id, day) not in self.forbid_day:
                        options[(doctor.id, clinic_id, day)] = minutes
        return options

    def needs(self):
        for clinic in self.problem.clinics:
            for specialty, wanted in clinic.needs.items():
                if wanted > 0:
                    yield clinic.id, specialty, wanted

    def demand(self) -> int:
        return sum(wanted for _c, _s, wanted in self.needs())


# ------------------------------------------------------------------------ bad input


def conflicts(problem: Problem, index: Index | None = None) -> list[Conflict]:
    """Rules that no roster can satisfy: no working day, or pins that break a rule alone or together.

    Every rule caps a sum of assignments, so an empty roster satisfies all of them; only pins can make
    the problem infeasible, and checking the pinned assignments against each rule is exact.
    """
    if not problem.days:
        return [Conflict("no_working_days", {})]
    index = index or Index(problem)
    if index.demand() == 0:
        return [Conflict("no_needs", {})]  # nothing to plan is an answer too, not an empty roster
    found = []
    for pin in problem.pins:
        found.extend(_pin_alone(index, pin))
    if found:
        return found
    return _pins_together(index, problem.pins)


def _pin_alone(index: Index, pin: Pin) -> list[Conflict]:
    problem = index.problem
    doctor, clinic = index.doctors.get(pin.doctor), index.clinics.get(pin.clinic)
    base = {"doctor": pin.doctor, "clinic": pin.clinic, "day": pin.day}
    if doctor is None or clinic is None:
        return [Conflict("unknown", base)]
    checks = [
        (pin.day not in index.days, "workday", {}),
        (doctor.title < problem.min_title, "min_title", {"title": doctor.title, "min_title": problem.min_title}),
        (clinic.needs.get(doctor.specialty, 0) <= 0, "specialty", {"specialty": doctor.specialty}),
        (pin.clinic not in doctor.travel, "travel", {"minutes": None, "limit": problem.travel_limit}),
        (doctor.travel.get(pin.clinic, 0) > problem.travel_limit, "travel",
         {"minutes": doctor.travel.get(pin.clinic), "limit": problem.travel_limit}),
        (pin.day in doctor.unavailable, "unavailable", {}),
        ((pin.doctor, pin.clinic) in index.forbid_month or (pin.doctor, pin.clinic, pin.day) in index.forbid_day,
         "pin_forbid", {}),
    ]
    for broken, rule, extra in checks:
        if broken:
            return [Conflict(rule, {**base, **extra})]
    return []


def _pins_together(index: Index, pins: list[Pin]) -> list[Conflict]:
    problem = index.problem
    found = []
    groups = {
        "one_place": defaultdict(list),  # (doctor, day)
        "max_days": defaultdict(list),  # doctor
        "department": defaultdict(list),  # (department, day)
        "one_per_specialty": defaultdict(list),  # (clinic, specialty, day)
        "need_days": defaultdict(list),  # (clinic, specialty)
        "clinic_days": defaultdict(set),  # clinic → days
    }
    for pin in set(pins):
        doctor = index.doctors[pin.doctor]
        groups["one_place"][(pin.doctor, pin.day)].append(pin)
        groups["max_days"][pin.doctor].append(pin)
        groups["department"][(doctor.department_key, pin.day)].append(pin)
        groups["one_per_specialty"][(pin.clinic, doctor.specialty, pin.day)].append(pin)
        groups["need_days"][(pin.clinic, doctor.specialty)].append(pin)
        groups["clinic_days"][pin.clinic].add(pin.day)
    for (doctor_id, day), same in groups["one_place"].items():
        if len(same) > 1:
            found.append(Conflict("one_place", {"doctor": doctor_id, "day": day,
                                                "clinics": sorted(p.clinic for p in same)}))
    for doctor_id, same in groups["max_days"].items():
        limit = index.limit(index.doctors[doctor_id])
        if len({p.day for p in same}) > limit:
            found.append(Conflict("max_days", {"doctor": doctor_id, "count": len(same), "limit": limit}))
    for (department, day), same in groups["department"].items():
        if len({p.doctor for p in same}) > index.cap(department):
            found.append(Conflict("department", {"hospital": department[0], "department": department[1], "day": day,
                                                 "count": len(same), "limit": index.cap(department),
                                                 "share": problem.department_share}))
    for (clinic_id, specialty, day), same in groups["one_per_specialty"].items():
        if len(same) > 1:
            found.append(Conflict("one_per_specialty", {"clinic": clinic_id, "specialty": specialty, "day": day,
                                                        "doctors": sorted(p.doctor for p in same)}))
    for (clinic_id, specialty), same in groups["need_days"].items():
        wanted = index.clinics[clinic_id].needs.get(specialty, 0)
        if len(same) > wanted:
            found.append(Conflict("need_days", {"clinic": clinic_id, "specialty": specialty,
                                                "count": len(same), "limit": wanted}))
    for clinic_id, days in groups["clinic_days"].items():
        cap = index.clinics[clinic_id].max_days
        if cap is not None and len(days) > cap:
            found.append(Conflict("clinic_days", {"clinic": clinic_id, "count": len(days), "limit": cap}))
    return found


# ---------------------------------------------------------------------- lower bound


def flow_bound(index: Index, specialties: set[str] | None = None) -> int:
    """Unmet clinic-days no roster can avoid, by max-flow: doctors (≤ N and ≤ free days) → needs.

    A relaxation (it ignores the day-by-day rules), so it is weaker than CP-SAT's bound but instant.
    With ``specialties``, the bound of that component only.
    """
    demand, met, _flows = _max_flow(index, specialties)
    return demand - met


def _max_flow(index: Index, specialties: set[str] | None = None) -> tuple[int, int, dict]:
    """(demand, days the relaxation meets, {(doctor, clinic): days} of one maximum flow)."""

    def inside(specialty) -> bool:
        return specialties is None or specialty in specialties

    flow = max_flow.SimpleMaxFlow()
    nodes: dict = {}

    def node(key) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    pairs = defaultdict(int)  # (doctor, clinic) → days the doctor could give that clinic
    for doctor_id, clinic_id, _day in index.options:
        if inside(index.doctors[doctor_id].specialty):
            pairs[(doctor_id, clinic_id)] += 1
    for doctor in index.problem.doctors:
        if inside(doctor.specialty):
            free = len(index.free_days(doctor))
            flow.add_arc_with_capacity(source, node(("doctor", doctor.id)), min(index.limit(doctor), free))
    arcs = {}
    for (doctor_id, clinic_id), count in pairs.items():
        specialty = index.doctors[doctor_id].specialty
        arcs[(doctor_id, clinic_id)] = flow.add_arc_with_capacity(
            node(("doctor", doctor_id)), node(("need", clinic_id, specialty)), count)
    demand = 0
    for clinic_id, specialty, wanted in index.needs():
        if inside(specialty):
            demand += wanted
            flow.add_arc_with_capacity(node(("need", clinic_id, specialty)), sink, min(wanted, len(index.days)))
    flow.solve(source, sink)
    flows = {pair: flow.flow(arc) for pair, arc in arcs.items() if flow.flow(arc) > 0}
    return demand, flow.optimal_flow(), flows


# --------------------------------------------------------------------------- greedy


def greedy(problem: Problem, index: Index | None = None, *, guided: bool = False) -> list[Assignment]:
    """Scarcest needs first; each day to the least-loaded, nearest doctor who may still go.

    The plain version is the benchmark's baseline. ``guided`` is the solver's start: it first follows
    a maximum flow (which doctor gives how many days to which clinic), placing those days on the
    days the rules allow, then fills what is left greedily; when every flow day finds a day, the
    plan meets the max-flow bound and is proven best without search. Pins are placed first.
    """
    index = index or Index(problem)
    state = _GreedyState(index)
    for pin in problem.pins:
        state.take(pin.doctor, pin.clinic, pin.day)
    if guided:
        _follow_flow(index, state)
    candidates = defaultdict(list)  # (clinic, specialty) → [(minutes, doctor, day)]
    for (doctor_id, clinic_id, day), minutes in index.options.items():
        candidates[(clinic_id, index.doctors[doctor_id].specialty)].append((minutes, doctor_id, day))
    needs = sorted(index.needs(), key=lambda need: len({d for _m, d, _day in candidates[(need[0], need[1])]}))
    for clinic_id, specialty, wanted in needs:
        options = candidates[(clinic_id, specialty)]
        while state.met[(clinic_id, specialty)] < wanted:
            best = min((o for o in options if state.allows(o[1], clinic_id, o[2])),
                       key=lambda o: (state.load[o[1]], o[0], state.day_load[o[2]]), default=None)
            if best is None:
                break
            state.take(best[1], clinic_id, best[2])
    return state.roster


def _guide_flows(index: Index) -> dict:
    """{(doctor, clinic): days} of a maximum flow of least cost: a doctor's k-th day costs k steps (so
    days spread over doctors) and a day's travel minutes count within a step (so the nearest go)."""
    flow = min_cost_flow.SimpleMinCostFlow()
    nodes: dict = {}

    def node(key) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    step = 10 * (max(index.options.values(), default=0) + 1)
    pairs = defaultdict(int)
    for doctor_id, clinic_id, _day in index.options:
        pairs[(doctor_id, clinic_id)] += 1
    for doctor_id in {d for d, _c in pairs}:
        doctor = index.doctors[doctor_id]
        for k in range(min(index.limit(doctor), len(index.free_days(doctor)))):
            flow.add_arc_with_capacity_and_unit_cost(source, node(("doctor", doctor_id)), 1, k * step)
    arcs = {}
    for (doctor_id, clinic_id), count in pairs.items():
        need = node(("need", clinic_id, index.doctors[doctor_id].specialty))
        arcs[(doctor_id, clinic_id)] = flow.add_arc_with_capacity_and_unit_cost(
            node(("doctor", doctor_id)), need, count, index.options[(doctor_id, clinic_id, _any_day(index, doctor_id,
                                                                                                   clinic_id))])
    for clinic_id, specialty, wanted in index.needs():
        flow.add_arc_with_capacity_and_unit_cost(node(("need", clinic_id, specialty)), sink,
                                                 min(wanted, len(index.days)), 0)
    total = index.demand()
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        return _max_flow(index)[2]
    return {pair: flow.flow(arc) for pair, arc in arcs.items() if flow.flow(arc) > 0}


def _any_day(index: Index, doctor_id: str, clinic_id: str) -> date:
    return next(day for day in index.days if (doctor_id, clinic_id, day) in index.options)


def _follow_flow(index: Index, state: _GreedyState):
    flows = _guide_flows(index)
    by_pair = defaultdict(list)
    for (doctor_id, clinic_id, day), _minutes in index.options.items():
        by_pair[(doctor_id, clinic_id)].append(day)
    # the least flexible pairs first: they have the fewest days to choose from
    for (doctor_id, clinic_id), days in sorted(flows.items(), key=lambda item: len(by_pair[item[0]])):
        specialty = index.doctors[doctor_id].specialty
        wanted = index.clinics[clinic_id].needs[specialty]
        for _ in range(days):
            if state.met[(clinic_id, specialty)] >= wanted:
                break
            free = [d for d in by_pair[(doctor_id, clinic_id)] if state.allows(doctor_id, clinic_id, d)]
            if not free:
                break
            state.take(doctor_id, clinic_id, min(free, key=lambda d: state.day_load[d]))


class _GreedyState:
    def __init__(self, index: Index):
        self.index = index
        self.roster: list[Assignment] = []
        self.load = defaultdict(int)
        self.busy = set()  # (doctor, day)
        self.away = defaultdict(int)  # (department, day)
        self.covered = set()  # (clinic, specialty, day)
        self.met = defaultdict(int)  # (clinic, specialty)
        self.clinic_days = defaultdict(set)
        self.day_load = defaultdict(int)

    def allows(self, doctor_id: str, clinic_id: str, day: date) -> bool:
        doctor, clinic = self.index.doctors[doctor_id], self.index.clinics[clinic_id]
        return (self.load[doctor_id] < self.index.limit(doctor) and (doctor_id, day) not in self.busy
                and self.away[(doctor.department_key, day)] < self.index.cap(doctor.department_key)
                and (clinic_id, doctor.specialty, day) not in self.covered
                and (clinic.max_days is None or day in self.clinic_days[clinic_id]
                     or len(self.clinic_days[clinic_id]) < clinic.max_days))

    def take(self, doctor_id: str, clinic_id: str, day: date):
        doctor = self.index.doctors[doctor_id]
        self.roster.append(Assignment(doctor_id, clinic_id, day))
        self.load[doctor_id] += 1
        self.busy.add((doctor_id, day))
        self.away[(doctor.department_key, day)] += 1
        self.covered.add((clinic_id, doctor.specialty, day))
        self.met[(clinic_id, doctor.specialty)] += 1
        self.clinic_days[clinic_id].add(day)
        self.day_load[day] += 1


# ----------------------------------------------------------------------- components


def components(index: Index) -> list[set[str]]:
    """Groups of specialties that no rule links to another group (a shared department, or a clinic's
    day cap across its specialties). Usually one per specialty."""
    parent: dict[str, str] = {}

    def find(s):
        parent.setdefault(s, s)
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    def join(a, b):
        parent[find(a)] = find(b)

    by_department = defaultdict(set)
    for doctor in index.problem.doctors:
        find(doctor.specialty)
        by_department[doctor.department_key].add(doctor.specialty)
    for specialties in by_department.values():
        first, *rest = sorted(specialties)
        for other in rest:
            join(first, other)
    for clinic in index.problem.clinics:
        needed = sorted(s for s, w in clinic.needs.items() if w > 0)
        for s in needed:
            find(s)
        if clinic.max_days is not None and needed:
            for other in needed[1:]:
                join(needed[0], other)
    groups = defaultdict(set)
    for specialty in list(parent):
        groups[find(specialty)].add(specialty)
    return sorted(groups.values(), key=lambda g: sorted(g))


class ComponentModel:
    """CP-SAT model of one component (or of everything, for the plain formulation)."""

    def __init__(self, index: Index, specialties: set[str] | None = None):
        self.index = index
        self.model = cp_model.CpModel()
        problem = index.problem
        doctors = {d.id for d in problem.doctors if specialties is None or d.specialty in specialties}
        self.x = {key: self.model.new_bool_var("") for key in index.options if key[0] in doctors}
        self.minutes = {key: index.options[key] for key in self.x}
        self.needs = [(c, s, w) for c, s, w in index.needs() if specialties is None or s in specialties]
        self._rules(doctors)
        self.unmet = sum(self.need_unmet.values())
        self.solver = None

    def _rules(self, doctors: set[str]):
        index, model = self.index, self.model
        by = defaultdict(lambda: defaultdict(list))
        for key, var in self.x.items():
            doctor_id, clinic_id, day = key
            doctor = index.doctors[doctor_id]
            by["doctor_day"][(doctor_id, day)].append(var)
            by["doctor"][doctor_id].append(var)
            by["department_day"][(doctor.department_key, day)].append(var)
            by["need_day"][(clinic_id, doctor.specialty, day)].append(var)
            by["need"][(clinic_id, doctor.specialty)].append(var)
            by["clinic_day"][(clinic_id, day)].append(var)
            by["pair"][(doctor_id, clinic_id)].append(var)
        for group in ("doctor_day", "need_day"):
            for vars_ in by[group].values():
                if len(vars_) > 1:
                    model.add_at_most_one(vars_)
        for doctor_id, vars_ in by["doctor"].items():
            limit = index.limit(index.doctors[doctor_id])
            if len(vars_) > limit:
                model.add(sum(vars_) <= limit)
        for (department, _day), vars_ in by["department_day"].items():
            if len(vars_) > index.cap(department):
                model.add(sum(vars_) <= index.cap(department))
        self.need_unmet = {}
        for clinic_id, specialty, wanted in self.needs:
            vars_ = by["need"].get((clinic_id, specialty), [])
            if len(vars_) > wanted:
                model.add(sum(vars_) <= wanted)
            self.need_unmet[(clinic_id, specialty)] = wanted - sum(vars_)
        self._clinic_day_caps(by["clinic_day"])
        for pin in index.problem.pins:
            if pin in self._pins_here(doctors):
                model.add(self.x[(pin.doctor, pin.clinic, pin.day)] == 1)
        self.loads = {doctor_id: sum(vars_) for doctor_id, vars_ in by["doctor"].items()}
        self.pairs = by["pair"]

    def _pins_here(self, doctors):
        return {p for p in self.index.problem.pins if p.doctor in doctors}

    def _clinic_day_caps(self, clinic_day: dict):
        by_clinic = defaultdict(list)
        for (clinic_id, _day), vars_ in clinic_day.items():
            cap = self.index.clinics[clinic_id].max_days
            if cap is None:
                continue
            visited = self.model.new_bool_var("")
            for var in vars_:
                self.model.add_implication(var, visited)
            by_clinic[clinic_id].append(visited)
        for clinic_id, visited in by_clinic.items():
            cap = self.index.clinics[clinic_id].max_days
            if len(visited) > cap:
                self.model.add(sum(visited) <= cap)

    # objectives ------------------------------------------------------------------

    def spread(self):
        """max − min of days among doctors who could go."""
        if not self.loads:
            return 0
        top = max(self.index.limit(self.index.doctors[d]) for d in self.loads)
        high, low = self.model.new_int_var(0, top, "high"), self.model.new_int_var(0, top, "low")
        for load in self.loads.values():
            self.model.add(high >= load)
            self.model.add(low <= load)
        return high - low

    def travel(self):
        return sum(minutes * self.x[key] for key, minutes in self.minutes.items())

    def continuity(self):
        """Distinct doctor–clinic pairs: fewer means the same doctors return."""
        used = []
        for vars_ in self.pairs.values():
            pair = self.model.new_bool_var("")
            for var in vars_:
                self.model.add_implication(var, pair)
            used.append(pair)
        return sum(used)

    def hint(self, chosen: set):
        self.model.clear_hints()
        for key, var in self.x.items():
            self.model.add_hint(var, key in chosen)

    def solve(self, objective, seconds: float, workers: int, callback=None):
        self.model.minimize(objective)
        self.solver = cp_model.CpSolver()
        self.solver.parameters.max_time_in_seconds = max(0.05, seconds)
        self.solver.parameters.num_workers = workers
        status = self.solver.solve(self.model, callback) if callback else self.solver.solve(self.model)
        return status

    def chosen(self) -> set:
        return {key for key, var in self.x.items() if self.solver.boolean_value(var)}


# ------------------------------------------------------------------------- solving


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Reports the best plan so far and the bound while CP-SAT runs (stage one of a component)."""

    def __init__(self, on_solution, target: int = -1):
        super().__init__()
        self.on_solution = on_solution
        self.target = target  # a bound proven elsewhere (max-flow): reaching it is optimal
        self.reached = False

    def on_solution_callback(self):
        best = round(self.objective_value)
        self.on_solution(best, math.ceil(self.best_objective_bound - 1e-6))
        if best <= self.target:
            self.reached = True
            self.stop_search()


def solve(problem: Problem, *, seconds: float = 60.0, workers: int = 2,
          on_progress: ProgressCallback | None = None) -> Solution:
    """The lexicographically best roster found within ``seconds``, or the conflicts that forbid any."""
    started = time.monotonic()
    index = Index(problem)
    found = conflicts(problem, index)
    if found:
        return Solution(status="conflict", conflicts=found, demand=index.demand(), seconds=time.monotonic() - started)
    start_plan = {(a.doctor, a.clinic, a.day) for a in greedy(problem, index, guided=True)}
    groups = components(index)
    # a margin for building models and assembling the answer, so that the whole call keeps the limit
    runner = _Runner(index, groups, start_plan, started + seconds * 0.95 - 0.3, workers, on_progress)
    chosen, bounds, proven = runner.run()
    solution = _solution(index, chosen, "optimal" if proven else "feasible")
    solution.flow_bound = runner.flow
    solution.lower_bound = max(sum(bounds), runner.flow)
    solution.seconds = time.monotonic() - started
    return solution


class _Runner:
    """Solves the components one after another, sharing the time left fairly."""

    FIRST_SHARE = 0.6  # of the time limit for stage one (unmet) at most; the later stages get the rest

    def __init__(self, index, groups, start_plan, deadline, workers, on_progress):
        self.index, self.groups, self.start_plan = index, groups, start_plan
        self.deadline, self.workers, self.on_progress = deadline, workers, on_progress
        self.flow = flow_bound(index)
        self.targets = [flow_bound(index, g) for g in groups]
        self.sizes = [self._size(g) for g in groups]
        self.best = [self._greedy_unmet(g) for g in groups]
        self.bound = list(self.targets)

    def _size(self, group) -> int:
        return 1 + sum(1 for key in self.index.options if self.index.doctors[key[0]].specialty in group)

    def _greedy_unmet(self, group) -> int:
        met = defaultdict(int)
        for doctor_id, clinic_id, _day in self.start_plan:
            met[(clinic_id, self.index.doctors[doctor_id].specialty)] += 1
        return sum(max(0, w - met[(c, s)]) for c, s, w in self.index.needs() if s in group)

    def run(self):
        """Stage one for every component first (it matters most), then fairness and travel."""
        first_deadline = time.monotonic() + self.FIRST_SHARE * max(0.0, self.deadline - time.monotonic())
        models, plans, proven = [], [], True
        for number, group in enumerate(self.groups):
            model = ComponentModel(self.index, group)
            plan = {key for key in self.start_plan if key in model.x}
            unmet, optimal = self._first_stage(number, model, plan, self._first_share(number, first_deadline))
            proven = proven and optimal
            if unmet is not None and model.solver is not None:
                plan = model.chosen()
            if unmet is not None:
                model.model.add(model.unmet <= unmet)
            models.append(model if unmet is not None and model.x else None)
            plans.append(plan)
        for number, model in enumerate(models):
            if model is not None:
                plans[number] = self._later_stages(number, model, plans[number])
        return set().union(*plans), self.bound, proven

    def _first_share(self, number, deadline) -> float:
        """Stage one's time goes to the components whose greedy plan misses the max-flow bound."""
        left = max(0.0, deadline - time.monotonic())
        open_sizes = [size for n, size in enumerate(self.sizes) if n >= number and self.best[n] > self.targets[n]]
        return left * self.sizes[number] / max(self.sizes[number], sum(open_sizes))

    def _share(self, number, deadline) -> float:
        """This component's part of the time left before ``deadline``, by its size."""
        left = max(0.0, deadline - time.monotonic())
        return left * self.sizes[number] / sum(self.sizes[number:])

    def _report(self, number, stage, best=None, bound=None):
        if best is not None:
            self.best[number] = best
        if bound is not None:
            self.bound[number] = bound
        if self.on_progress:
            done = sum(self.sizes[:number + 1]) / sum(self.sizes)
            self.on_progress(Progress(sum(self.best), max(sum(self.bound), self.flow), done, stage))

    def _later_stages(self, number, model: ComponentModel, plan: set) -> set:
        """Fairness, then travel, then continuity, with unmet days fixed: one solve whose weights make
        the order strict (one day of spread outweighs any travel; one minute any number of pairs), so
        the short time a component gets is not spent presolving three models."""
        seconds = self._share(number, self.deadline)
        if seconds < 0.2:
            return plan
        met = len(plan)
        pairs_top = met + 1
        travel_top = (max(model.minutes.values(), default=0) * met + 1) * pairs_top + pairs_top
        objective = model.spread() * travel_top + model.travel() * pairs_top + model.continuity()
        return self._stage(model, plan, objective, seconds, "fairness", number)

    def _first_stage(self, number, model: ComponentModel, plan: set, seconds: float) -> tuple[int | None, bool]:
        """Unmet clinic-days; skipped when the greedy plan already reaches the max-flow bound."""
        target = self.targets[number]
        if self.best[number] <= target or not model.x:
            self._report(number, "unmet", self.best[number], target)
            return self.best[number], True
        model.hint(plan)
        reporter = _Reporter(lambda best, bound: self._report(number, "unmet", best, bound), target)
        status = model.solve(model.unmet, seconds, self.workers, reporter)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            model.solver = None
            return None, False
        unmet = round(model.solver.objective_value)
        optimal = status == cp_model.OPTIMAL or reporter.reached
        bound = unmet if optimal else max(target, math.ceil(model.solver.best_objective_bound - 1e-6))
        self._report(number, "unmet", unmet, bound)
        return unmet, optimal

    def _stage(self, model: ComponentModel, plan: set, objective, seconds, name, number) -> set:
        model.hint(plan)
        status = model.solve(objective, seconds, self.workers)
        self._report(number, name)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return plan
        model.model.add(objective <= round(model.solver.objective_value))  # the next stage keeps this one
        return model.chosen()


def solve_plain(problem: Problem, *, seconds: float = 60.0, workers: int = 2) -> Solution:
    """The plain formulation for comparison: one CP-SAT model, one weighted objective, no hint."""
    started = time.monotonic()
    index = Index(problem)
    found = conflicts(problem, index)
    if found:
        return Solution(status="conflict", conflicts=found, demand=index.demand())
    model = ComponentModel(index)
    travel_top = max(index.options.values(), default=0) * index.demand() + 1
    objective = model.unmet * (travel_top * (index.problem.max_days_away + 1)) + model.spread() * travel_top
    status = model.solve(objective + model.travel(), seconds, workers)
    chosen = model.chosen() if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else set()
    solution = _solution(index, chosen, "optimal" if status == cp_model.OPTIMAL else "feasible")
    solution.seconds = time.monotonic() - started
    return solution


# --------------------------------------------------------------------- re-planning


def _gone_days(problem: Problem, cancel_from: date | None) -> set[date]:
    return {d for d in problem.days if cancel_from is None or d >= cancel_from}


def without_doctor(problem: Problem, cancelled: str, *, cancel_from: date | None = None) -> Problem:
    """The month as it stands once a doctor cancels: he is free on none of the days he leaves, and his
    pins on those days no longer bind (a pin cannot hold a doctor who is not coming)."""
    gone = _gone_days(problem, cancel_from)
    doctors = [_without_days(d, gone) if d.id == cancelled else d for d in problem.doctors]
    pins = [p for p in problem.pins if not (p.doctor == cancelled and p.day in gone)]
    return Problem(**{**problem.__dict__, "doctors": doctors, "pins": pins})


def replan(problem: Problem, previous: list[Assignment], cancelled: str, *, cancel_from: date | None = None,
           seconds: float = 5.0, workers: int = 2) -> Solution:
    """A doctor cancels (from ``cancel_from`` on, or the whole month): cover the days he leaves with as
    few changes to everybody else's assignments as possible.

    First a repair: each day he leaves goes to a substitute who is free, with nothing else moved. If
    that already meets the max-flow bound of his component, no roster does better; otherwise one
    CP-SAT solve of that component only, hinted with the repair, minimises unmet days first and then
    the number of assignments changed (removed or added).
    """
    started = time.monotonic()
    gone = _gone_days(problem, cancel_from)
    changed_problem = without_doctor(problem, cancelled, cancel_from=cancel_from)
    index = Index(changed_problem)
    found = conflicts(changed_problem, index)
    if found:
        return Solution(status="conflict", conflicts=found, demand=index.demand())
    must = {(a.doctor, a.clinic, a.day) for a in previous if a.doctor == cancelled and a.day in gone}
    kept = {(a.doctor, a.clinic, a.day) for a in previous} - must
    group = next((g for g in components(index) if index.doctors[cancelled].specialty in g), set())
    repaired = _repair(index, kept, must)
    target = flow_bound(index, group)
    after, proven = repaired, False
    if _unmet_in(index, repaired, group) > target:
        after, proven = _replan_search(index, group, kept, repaired, started + seconds * 0.7, workers)
    else:
        proven = True
    solution = _solution(index, after, "optimal" if proven else "feasible")
    before_group = {k for k in kept if index.doctors[k[0]].specialty in group}
    after_group = {k for k in after if index.doctors[k[0]].specialty in group}
    solution.changed = {"must": len(must), "removed_others": len(before_group - after_group),
                        "added": len(after_group - before_group)}
    solution.lower_bound = flow_bound(index)
    solution.seconds = time.monotonic() - started
    return solution


def _repair(index: Index, kept: set, must: set) -> set:
    """Each cancelled day to a free substitute, on that day if possible, else on another day."""
    state = _GreedyState(index)
    for key in kept:
        state.take(*key)
    by_need = defaultdict(list)
    for (doctor_id, clinic_id, day), minutes in index.options.items():
        by_need[(clinic_id, index.doctors[doctor_id].specialty)].append((minutes, doctor_id, day))
    for doctor_id, clinic_id, day in sorted(must, key=lambda k: k[2]):
        specialty = index.doctors[doctor_id].specialty
        options = [o for o in by_need[(clinic_id, specialty)] if state.allows(o[1], clinic_id, o[2])]
        best = min(options, key=lambda o: (o[2] != day, state.load[o[1]], o[0]), default=None)
        if best is not None:
            state.take(best[1], clinic_id, best[2])
    return {(a.doctor, a.clinic, a.day) for a in state.roster}


def _unmet_in(index: Index, plan: set, group: set) -> int:
    met = defaultdict(int)
    for doctor_id, clinic_id, _day in plan:
        met[(clinic_id, index.doctors[doctor_id].specialty)] += 1
    return sum(max(0, w - met[(c, s)]) for c, s, w in index.needs() if s in group)


def _replan_search(index: Index, group: set, kept: set, repaired: set, deadline: float, workers: int):
    model = ComponentModel(index, group)
    before = {key for key in kept if key in model.x}
    outside = repaired - set(model.x)
    changes = sum(1 - model.x[k] for k in before) + sum(v for k, v in model.x.items() if k not in before)
    weight = len(model.x) + len(before) + 1  # one clinic-day met outweighs any number of changes
    model.hint({key for key in repaired if key in model.x})
    status = model.solve(model.unmet * weight + changes, deadline - time.monotonic(), workers)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return repaired, False
    return model.chosen() | outside, status == cp_model.OPTIMAL


def _without_days(doctor: Doctor, gone: set[date]) -> Doctor:
    return Doctor(**{**doctor.__dict__, "unavailable": frozenset(doctor.unavailable | gone)})


# ----------------------------------------------------------------------- explaining


def _solution(index: Index, chosen: set, status: str) -> Solution:
    roster = sorted((Assignment(*key) for key in chosen), key=lambda a: (a.day, a.clinic, a.doctor))
    return Solution(status=status, assignments=roster, unmet=explain_unmet(index, roster), demand=index.demand())


def explain_unmet(index: Index, roster: list[Assignment]) -> list[Unmet]:
    """Every need short of days, with the reason the doctors who could have come did not."""
    met = defaultdict(int)
    for a in roster:
        met[(a.clinic, index.doctors[a.doctor].specialty)] += 1
    usage = _Usage(index, roster)
    result = []
    for clinic_id, specialty, wanted in index.needs():
        short = wanted - met[(clinic_id, specialty)]
        if short > 0:
            reason, params = _reason(index, usage, clinic_id, specialty)
            result.append(Unmet(clinic_id, specialty, short, reason, params))
    return result


class _Usage:
    def __init__(self, index: Index, roster: list[Assignment]):
        self.load = defaultdict(int)
        self.busy = set()
        self.away = defaultdict(int)
        self.covered = set()
        self.clinic_days = defaultdict(set)
        for a in roster:
            doctor = index.doctors[a.doctor]
            self.load[a.doctor] += 1
            self.busy.add((a.doctor, a.day))
            self.away[(doctor.department_key, a.day)] += 1
            self.covered.add((a.clinic, doctor.specialty, a.day))
            self.clinic_days[a.clinic].add(a.day)


def _reason(index: Index, usage: _Usage, clinic_id: str, specialty: str) -> tuple[str, dict]:
    problem = index.problem
    same = [d for d in problem.doctors if d.specialty == specialty]
    if not same:
        return "no_specialty", {}
    titled = [d for d in same if d.title >= problem.min_title]
    if not titled:
        return "below_title", {"count": len(same)}
    reached = [d for d in titled if d.travel.get(clinic_id, math.inf) <= problem.travel_limit]
    if not reached:
        nearest = min((d.travel[clinic_id] for d in titled if clinic_id in d.travel), default=None)
        return "out_of_reach", {"nearest": nearest, "limit": problem.travel_limit, "count": len(titled)}
    allowed = [d for d in reached if (d.id, clinic_id) not in index.forbid_month]
    if not allowed:
        return "forbidden", {"count": len(reached)}
    options = [(d, day) for d in allowed for day in index.days if (d.id, clinic_id, day) in index.options]
    if not options or index.limit(allowed[0]) <= 0:
        return "unavailable", {"count": len(allowed)}
    return _blocked_reason(index, usage, clinic_id, specialty, options, len({d.id for d, _ in options}))


def _blocked_reason(index, usage, clinic_id, specialty, options, count) -> tuple[str, dict]:
    """Which rule stops each (doctor, day) that could still have served the need, the commonest first."""
    at_limit = {d.id for d, _day in options if usage.load[d.id] >= index.limit(d)}
    if len(at_limit) == count:
        return "at_limit", {"count": count, "limit": index.problem.max_days_away}
    clinic = index.clinics[clinic_id]
    tally = defaultdict(int)
    for doctor, day in options:
        if doctor.id in at_limit:
            tally["at_limit"] += 1
        elif (doctor.id, day) in usage.busy:
            tally["busy"] += 1
        elif usage.away[(doctor.department_key, day)] >= index.cap(doctor.department_key):
            tally["department"] += 1
        elif (clinic_id, specialty, day) in usage.covered:
            tally["busy"] += 1
        elif clinic.max_days is not None and len(usage.clinic_days[clinic_id]) >= clinic.max_days:
            tally["clinic_days"] += 1
        else:
            tally["time_limit"] += 1
    reason = max(tally, key=lambda r: (r != "time_limit", tally[r]))
    return reason, {"count": count, "limit": index.problem.max_days_away, "share": index.problem.department_share,
                    "clinic_limit": clinic.max_days, "at_limit": len(at_limit)}


# ------------------------------------------------------------------------ measures


def fairness(problem: Problem, roster: list[Assignment]) -> dict:
    """Spread (max − min) and standard deviation of days among doctors who could have gone, per specialty
    summed for the spread, over everybody for the deviation."""
    index = Index(problem)
    could = {key[0] for key in index.options}
    load = defaultdict(int)
    for a in roster:
        load[a.doctor] += 1
    by_specialty = defaultdict(list)
    for doctor_id in could:
        by_specialty[index.doctors[doctor_id].specialty].append(load[doctor_id])
    spread = sum(max(v) - min(v) for v in by_specialty.values())
    values = [load[d] for d in could] or [0]
    mean = sum(values) / len(values)
    deviation = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {"spread": spread, "stdev": round(deviation, 3)}


def travel_minutes(problem: Problem, roster: list[Assignment]) -> int:
    doctors = {d.id: d for d in problem.doctors}
    return sum(doctors[a.doctor].travel[a.clinic] for a in roster)


def continuity_pairs(roster: list[Assignment]) -> int:
    return len({(a.doctor, a.clinic) for a in roster})
