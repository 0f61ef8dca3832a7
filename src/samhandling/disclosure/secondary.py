"""Secondary suppression: hide enough other cells that no small count can be worked out.

The method is the *hypercube* method of Repsilber (used by Statistics Germany and in τ-ARGUS as
"HYPERCUBE"/GHMITER), made exact for this library's tables by checking every choice against all the
sums of the publication.  For every primary cell ``p`` it builds a *certificate*: a change ``z`` of the
atom cells — in each dimension either "one more here, one less at a partner" (``e_a - e_b``) or "one
more here" (``e_a``) — multiplied across the dimensions.  Every cell whose sum ``z`` changes is
*visible* and must be suppressed; every other cell, published or not, keeps its value.  Moving the
true table by ``t·z`` therefore keeps every published number, and ``t`` can grow until a suppressed
cell that ``z`` lowers would fall below what an outsider knows about it (1 for a whole count, since
zeros are published).  The certificate is accepted only if ``p`` can grow to at least the threshold
this way: an outsider who knows every published number, every sum and that counts are never negative
cannot then prove that ``p`` is a small count, nor pin any suppressed cell of the certificate.

Among the certificates that work, the one that suppresses the smallest total of not-yet-suppressed
values is taken (cost = value, as in τ-ARGUS), preferring partners that every total sums together (two
municipalities of the same county, health trust and DPS), so that totals stay published.  Certificates
only ever add suppressions, so one that holds when it is made holds for the final table; a certificate
made for one primary cell often covers others at its corners.  When no small certificate exists, the
fallback moves one atom under ``p`` and suppresses everything above it, which always works.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Sequence

import attrs
import numpy as np

from samhandling.disclosure.cells import Block, Dimension
from samhandling.disclosure.rules import DisclosureRules

__all__ = ["Certificate", "SecondaryResult", "protect_block"]

_TOL = 1e-9
#: Options kept per dimension when searching for the cheapest certificate.
_OPTIONS = {1: 12, 2: 8, 3: 5, 4: 4}
#: How many valid certificates are compared before the cheapest is taken.
_ENOUGH = 3
#: How many parts of a total are tried as the atom a certificate moves.
_ATOMS = 3


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Certificate:
    """A proof that a primary cell can reach the threshold without any published number changing.

    ``cells`` are the visible cells with their change ``coef`` per unit of ``t``; ``up`` is how far
    ``t`` can grow (``math.inf`` when nothing limits it) and ``down`` how far it can fall (a number
    ``<= 0``).
    """

    primary: int
    cells: np.ndarray
    coef: np.ndarray
    up: float
    down: float
    proves: tuple[int, ...] = ()


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class SecondaryResult:
    """The cells to suppress in one block: ``primary`` and ``secondary`` masks, and the certificates."""

    primary: np.ndarray
    secondary: np.ndarray
    certificates: tuple[Certificate, ...]
    fallbacks: int = 0

    @property
    def suppressed(self) -> np.ndarray:
        """Primary or secondary."""
        return np.asarray(self.primary | self.secondary)


@attrs.frozen(eq=False)
class _Option:
    """One dimension's part of a certificate: visible nodes with their change, and the atoms moved.

    ``offsets`` and ``coefs`` are the visible nodes as code offsets (node × stride) with their change;
    ``support`` the offsets of the atoms moved; ``factor`` the change of ``p``'s own node.
    """

    offsets: tuple[int, ...]
    coefs: tuple[float, ...]
    support: tuple[int, ...]
    factor: float
    face: float


class _Search:
    """The certificate search of one block (state: what is suppressed and certified so far)."""

    def __init__(self, block: Block, primary: np.ndarray, rules: DisclosureRules) -> None:
        self.block = block
        self.rules = rules
        self.threshold = float(rules.threshold)
        self.suppressed = primary.copy()
        self.primary = primary
        self.certified = ~primary
        value = block.value
        self.known = ~np.isnan(value)
        self.value = np.nan_to_num(value)
        # What an outsider knows about a suppressed cell: at least 1 for a published whole count.
        lower = np.where(block.published & block.whole, rules.suppressed_lower_bound, 0.0)
        self.lower = np.minimum(lower, self.value)
        self.slack = self.value - self.lower
        # Cells that may not be suppressed: published zeros (unless zeros are protected).
        self.zero_published = block.published & self.known & (self.value == 0) & ~np.asarray(primary)
        if rules.protect_zeros:
            self.zero_published[:] = False
        self.code_index = dict(zip(block.codes.tolist(), range(block.size), strict=True))
        self.strides = [int(s) for s in block.strides.tolist()]
        self.atom_offsets = [
            dim.atom_node * stride for dim, stride in zip(block.dims, self.strides, strict=True)
        ]
        self.limit = _OPTIONS.get(len(block.dims), 3)
        self._visible: dict[tuple[int, int, int], tuple[tuple[int, ...], tuple[float, ...]]] = {}
        self.values = self.value.tolist()
        self.slacks = self.slack.tolist()
        self.knowns = self.known.tolist()
        self.zeros = self.zero_published.tolist()
        self.publisheds = (block.published & self.known).tolist()
        self.certificates: list[Certificate] = []
        self.fallbacks = 0

    # -- lookups ----------------------------------------------------------------------------------
    def cell(self, code: int) -> int:
        found: int = self.code_index.get(code, -1)
        return found

    def code(self, nodes: Sequence[int]) -> int:
        return sum(n * s for n, s in zip(nodes, self.strides, strict=True))

    def price(self, cells: np.ndarray) -> np.ndarray:
        """What suppressing each cell costs now: its value, or 0 if hidden already or not published."""
        fresh = self.block.published[cells] & self.known[cells] & ~self.suppressed[cells]
        return np.where(fresh, self.value[cells], 0.0)

    # -- options per dimension ----------------------------------------------------------------------
    def options(self, p: int, k: int) -> list[_Option]:
        """Candidate parts of a certificate in dimension ``k`` for primary cell ``p``, best first."""
        block = self.block
        dim = block.dims[k]
        node = int(block.nodes[p, k])
        base = self.code(block.nodes[p].tolist()) - node * self.strides[k]
        gap = self.threshold - self.value[p]
        found: list[_Option] = []
        members = dim.members[node]
        if len(members) > _ATOMS:
            # A total: move one of its largest parts (its own cell next to p must be known and not 0).
            offsets = base + self.atom_offsets[k][[a for a, _w in members]]
            cells = self.block.cells_of(offsets)
            size = np.where(cells >= 0, self.value[cells] * self.known[cells], -1.0)
            members = tuple(members[i] for i in np.argsort(-size)[:_ATOMS].tolist() if size[i] > 0)
        for a, weight in members:
            single = self._option(k, a, -1, base, node, gap)
            if single is not None:
                found.append(single)
            found.extend(self._pairs(dim, k, a, weight, base, node, gap))
        found.sort(key=lambda o: (o.face, len(o.offsets)))
        return found[: self.limit]

    def _visible_of(self, k: int, a: int, b: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """Visible nodes (offsets) and their change for ``e_a - e_b`` (``b = -1``: ``e_a``) in dimension k."""
        key = (k, a, b)
        found = self._visible.get(key)
        if found is None:
            dim = self.block.dims[k]
            stride = self.strides[k]
            change = dict(dim.ancestors[a])
            if b >= 0:
                for n, w in dim.ancestors[b]:
                    change[n] = change.get(n, 0.0) - w
            items = [(n * stride, c) for n, c in change.items() if abs(c) > _TOL]
            found = (tuple(o for o, _c in items), tuple(c for _o, c in items))
            self._visible[key] = found
        return found

    def _option(self, k: int, a: int, b: int, base: int, node: int, gap: float) -> _Option | None:
        """A part moving atom ``a`` (and ``-b``), with its cost next to ``p``; ``None`` if it cannot work."""
        offsets, coefs = self._visible_of(k, a, b)
        own = node * self.strides[k]
        factor = 0.0
        for offset, coef in zip(offsets, coefs, strict=True):
            if offset == own:
                factor = coef
        if abs(factor) <= _TOL:
            return None
        face = 0.0
        index = self.code_index
        for offset, coef in zip(offsets, coefs, strict=True):
            if offset == own:
                continue
            cell = index.get(base + offset, -1)
            if cell < 0:
                continue
            if self.zeros[cell]:
                return None
            if coef * factor < 0 and (
                not self.knowns[cell] or self.slacks[cell] < gap * abs(coef) / abs(factor) - _TOL
            ):
                return None
            if self.publisheds[cell] and not self.suppressed[cell]:
                face += self.values[cell]
        atoms = self.atom_offsets[k]
        support = (int(atoms[a]),) if b < 0 else (int(atoms[a]), int(atoms[b]))
        return _Option(offsets=offsets, coefs=coefs, support=support, factor=factor, face=face)

    def _pairs(
        self, dim: Dimension, k: int, a: int, weight: float, base: int, node: int, gap: float
    ) -> list[_Option]:
        partners = np.flatnonzero(dim.weights[node, :] != weight)
        if not partners.size:
            return []
        # Partners whose own cell next to p exists, is known and can give the slack p needs.
        cells = self.block.cells_of(base + self.atom_offsets[k][partners])
        keep = cells >= 0
        partners, cells = partners[keep], cells[keep]
        if not partners.size:
            return []
        usable = self.known[cells] & ~self.zero_published[cells] & (self.slack[cells] >= gap - _TOL)
        partners, cells = partners[usable], cells[usable]
        if not partners.size:
            return []
        same = dim.classes[partners] == dim.classes[a]
        order = np.lexsort((self.price(cells), ~same))
        out: list[_Option] = []
        for i in order[: self.limit + 1].tolist():
            option = self._option(k, a, int(partners[i]), base, node, gap)
            if option is not None:
                out.append(option)
        return out

    # -- evaluating a certificate -----------------------------------------------------------------------
    def evaluate(self, p: int, parts: Sequence[_Option]) -> tuple[float, Certificate] | None:
        """The cost and certificate of one combination of parts, or ``None`` if it does not work."""
        index = self.code_index
        factor = math.prod(part.factor for part in parts)
        sign = 1.0 if factor > 0 else -1.0
        for combo in _product([part.support for part in parts]):
            if sum(combo) not in index:
                return None  # an atom the publication does not hold: its value is unknown
        cells: list[int] = []
        coefs: list[float] = []
        up = math.inf
        cost = 0.0
        offsets = [list(zip(part.offsets, part.coefs, strict=True)) for part in parts]
        for combo in _product(offsets):
            code = 0
            coef = sign
            for offset, c in combo:
                code += offset
                coef *= c
            cell = index.get(code, -1)
            if cell < 0:
                continue
            if self.zeros[cell]:
                return None
            if coef < 0:
                if not self.knowns[cell]:
                    return None
                up = min(up, self.slacks[cell] / -coef)
            cells.append(cell)
            coefs.append(coef)
            if self.publisheds[cell] and not self.suppressed[cell]:
                cost += self.values[cell]
        if self.values[p] + abs(factor) * up < self.threshold - 1e-6:
            return None
        down = -math.inf
        for cell, coef in zip(cells, coefs, strict=True):
            if coef > 0:
                if not self.knowns[cell]:
                    down = 0.0
                    break
                down = max(down, -self.slacks[cell] / coef)
        return cost, Certificate(
            primary=p, cells=np.asarray(cells, np.int64), coef=np.asarray(coefs), up=up, down=down
        )

    def fallback(self, p: int) -> Certificate:
        """Move the largest atom under ``p`` alone: everything above it is suppressed, nothing limits it."""
        block = self.block
        members = [block.dims[k].members[int(block.nodes[p, k])] for k in range(len(block.dims))]
        best: tuple[float, tuple[int, ...]] | None = None
        for combo in _product(members):
            nodes = tuple(int(block.dims[k].atom_node[a]) for k, (a, _w) in enumerate(combo))
            cell = self.cell(self.code(nodes))
            if cell < 0 or not self.known[cell]:
                continue
            weight = math.prod(w for _a, w in combo)
            if self.value[cell] > 0 and weight > 0 and (best is None or self.value[cell] > best[0]):
                best = (float(self.value[cell]), tuple(a for a, _w in combo))
        if best is None:  # no known atom under p: p's own cell moves alone
            cells = np.array([p], np.int64)
            return Certificate(primary=p, cells=cells, coef=np.ones(1), up=math.inf, down=-self.value[p])
        parts = []
        for k, a in enumerate(best[1]):
            offsets, coefs = self._visible_of(k, a, -1)
            own = int(block.nodes[p, k]) * self.strides[k]
            factor = next(c for o, c in zip(offsets, coefs, strict=True) if o == own)
            parts.append(
                _Option(
                    offsets=offsets,
                    coefs=coefs,
                    support=(int(self.atom_offsets[k][a]),),
                    factor=factor,
                    face=0.0,
                )
            )
        found = self.evaluate(p, parts)
        assert found is not None, "a certificate that only raises cells is always valid"
        return found[1]

    # -- the search ---------------------------------------------------------------------------------
    def protect(self, p: int) -> None:
        """Find and apply the cheapest certificate for primary cell ``p``."""
        per_dim = [self.options(p, k) for k in range(len(self.block.dims))]
        chosen: tuple[float, Certificate] | None = None
        if all(per_dim):
            combos = sorted(_product(per_dim), key=lambda parts: sum(o.face for o in parts))
            valid = 0
            for parts in combos:
                found = self.evaluate(p, parts)
                if found is None:
                    continue
                valid += 1
                if chosen is None or found[0] < chosen[0] - _TOL:
                    chosen = found
                if valid >= _ENOUGH or chosen[0] <= _TOL:
                    break
        if chosen is None:
            certificate = self.fallback(p)
            self.fallbacks += 1
        else:
            certificate = chosen[1]
        self.apply(certificate)

    def apply(self, certificate: Certificate) -> None:
        """Suppress the certificate's visible cells and mark every primary cell it proves safe."""
        cells = certificate.cells
        published = self.block.published[cells] & self.known[cells]
        self.suppressed[cells[published]] = True
        reach = np.maximum(certificate.coef * certificate.up, certificate.coef * certificate.down)
        reach = np.nan_to_num(reach, nan=0.0, posinf=math.inf)
        proves = cells[self.primary[cells] & (self.value[cells] + reach >= self.threshold - 1e-6)]
        self.certified[proves] = True
        self.certificates.append(attrs.evolve(certificate, proves=tuple(proves.tolist())))

    def release(self) -> None:
        """Publish again every secondary cell whose certificates are all redundant.

        Largest values first: a secondary cell can go when every primary cell its certificates prove
        safe is proven safe by another certificate too; the cells left in no certificate then go with
        it (publishing a cell that no remaining certificate moves leaves every proof intact).
        """
        certificates = self.certificates
        active = [True] * len(certificates)
        containing: dict[int, list[int]] = {}
        provers: dict[int, int] = {}
        for i, cert in enumerate(certificates):
            for cell in cert.cells.tolist():
                containing.setdefault(cell, []).append(i)
            for q in cert.proves:
                provers[q] = provers.get(q, 0) + 1
        secondary = np.flatnonzero(self.suppressed & ~self.primary)
        for s in secondary[np.argsort(-self.value[secondary], kind="stable")].tolist():
            if not self.suppressed[s]:
                continue
            mine = [i for i in containing.get(s, []) if active[i]]
            losing: dict[int, int] = {}
            for i in mine:
                for q in certificates[i].proves:
                    losing[q] = losing.get(q, 0) + 1
            if any(provers[q] - n <= 0 for q, n in losing.items()):
                continue
            for i in mine:
                active[i] = False
                for q in certificates[i].proves:
                    provers[q] -= 1
            for i in mine:
                for cell in certificates[i].cells.tolist():
                    if self.primary[cell] or not self.suppressed[cell]:
                        continue
                    if not any(active[j] for j in containing[cell]):
                        self.suppressed[cell] = False
        self.certificates = [c for c, keep in zip(certificates, active, strict=True) if keep]


def _product(lists: Sequence[Sequence[typing.Any]]) -> typing.Iterator[tuple[typing.Any, ...]]:
    import itertools

    return itertools.product(*lists)


def protect_block(block: Block, primary: np.ndarray, rules: DisclosureRules) -> SecondaryResult:
    """Secondary suppression of one block: certificates until every primary cell is proven safe."""
    search = _Search(block, primary, rules)
    todo = np.flatnonzero(primary)
    if todo.size:
        # Cells with the fewest atoms under them first (their certificates often cover the totals).
        size = np.ones(block.size)
        for k, dim in enumerate(block.dims):
            counts = np.array([len(m) for m in dim.members], float)
            size *= counts[block.nodes[:, k]]
        order = todo[np.lexsort((search.value[todo], size[todo]))]
        for p in order.tolist():
            if not search.certified[p]:
                search.protect(p)
        search.release()
    secondary = search.suppressed & ~primary
    return SecondaryResult(
        primary=primary.copy(),
        secondary=secondary,
        certificates=tuple(search.certificates),
        fallbacks=search.fallbacks,
    )
