"""Secondary suppression: hide enough other cells that no small count can be worked out.

The method is the *hypercube* method (Repsilber's GHMITER, τ-ARGUS's "GH"), made exact for this
library's tables by checking every choice against all the sums of the publication.  For every primary
cell ``p`` it builds a *certificate*: a change ``z`` of the atom cells — in each dimension either "one
more here, one less at a partner" (``e_a - e_b``) or "one more here" (``e_a``) — multiplied across the
dimensions.  Every cell whose sum ``z`` changes is *visible* and must be suppressed; every other cell,
published or not, keeps its value.  Moving the true table by ``t·z`` therefore keeps every published
number, and ``t`` can grow until a suppressed cell that ``z`` lowers would fall below what an outsider
knows about it (1 for a whole count, since zeros are published).  The certificate is accepted only if
``p`` can grow to at least the threshold this way: an outsider who knows every published number, every
sum and that counts are never negative cannot then prove that ``p`` is a small count, nor pin any
suppressed cell of the certificate.

Among the certificates that work, the one that suppresses the smallest total of not-yet-suppressed
values is taken (cost = value, as in τ-ARGUS), trying first partners that every total sums together
(two municipalities of the same county, health trust and DPS), then the nearest others, so that totals
stay published.  If that quick search finds nothing, a wide one tries more partners and every
combination; the fallback moves one atom under ``p`` and suppresses everything above it, which always
works.  Certificates only ever add suppressions, so one that holds when it is made holds for the final
table, and one made for a primary cell often covers others at its corners.  A last pass publishes again
every secondary cell whose certificates all prove only what other certificates prove too.
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
_OPTIONS = {1: 12, 2: 8, 3: 3, 4: 3}
#: How many valid certificates are compared before the cheapest is taken.
_ENOUGH = 3
#: How many parts of a total are tried as the atom a certificate moves.
_ATOMS = 3
#: How many atoms of other classes are tried as partners (the nearest ones).
_NEAR = 24
#: Parts per dimension in the wide search, when the quick one finds nothing.
_WIDE = 8


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
        # Per dimension, the atoms of each class (summed together by every total of the dimension).
        self.peers: list[dict[int, list[int]]] = []
        for dim in block.dims:
            grouped: dict[int, list[int]] = {}
            for atom, cls in enumerate(dim.classes.tolist()):
                grouped.setdefault(cls, []).append(atom)
            self.peers.append(grouped)
        # Per dimension and atom, the other atoms of other classes nearest to it (fewest totals that sum
        # one and not the other), at most _NEAR of them: the partners worth trying beyond the peers.
        self.near: list[list[list[int]]] = [_nearest(dim, _NEAR) for dim in block.dims]
        self.all_near: list[list[list[int]]] = [_nearest(dim, None) for dim in block.dims]
        self._visible: dict[tuple[int, int, int], tuple[tuple[int, ...], tuple[float, ...]]] = {}
        self.values = self.value.tolist()
        self.slacks = self.slack.tolist()
        self.knowns = self.known.tolist()
        self.zeros = self.zero_published.tolist()
        self.publisheds = (block.published & self.known).tolist()
        self.hidden = self.suppressed.tolist()  # a list mirror of ``suppressed``: fast to read one by one
        self.primary_list = np.asarray(primary).tolist()
        self.offset_lists = [a.tolist() for a in self.atom_offsets]
        self.certificates: list[Certificate] = []
        self.fallbacks = 0

    # -- lookups ----------------------------------------------------------------------------------
    def cell(self, code: int) -> int:
        found: int = self.code_index.get(code, -1)
        return found

    def code(self, nodes: Sequence[int]) -> int:
        return sum(n * s for n, s in zip(nodes, self.strides, strict=True))

    # -- options per dimension ----------------------------------------------------------------------
    def options(self, p: int, k: int, limit: int) -> list[_Option]:
        """Up to ``limit`` candidate parts of a certificate in dimension ``k`` for primary cell ``p``."""
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
            found.extend(self._pairs(dim, k, a, weight, base, node, gap, limit))
        found.sort(key=lambda o: (o.face, len(o.offsets)))
        return found[:limit]

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
            if self.publisheds[cell] and not self.hidden[cell]:
                face += self.values[cell]
        atoms = self.offset_lists[k]
        support = (atoms[a],) if b < 0 else (atoms[a], atoms[b])
        return _Option(offsets=offsets, coefs=coefs, support=support, factor=factor, face=face)

    def _pairs(
        self, dim: Dimension, k: int, a: int, weight: float, base: int, node: int, gap: float, limit: int
    ) -> list[_Option]:
        """Parts ``e_a - e_b``: partners that every total sums with ``a`` first, then any other."""
        out: list[_Option] = []
        peers: list[int] = []
        if int(dim.atom_node[a]) == node:  # p's own atom: its peers leave every total unchanged
            peers = [b for b in self.peers[k][int(dim.classes[a])] if b != a]
            found = []
            offsets = self.offset_lists[k]
            index = self.code_index
            for b in peers:
                cell = index.get(base + offsets[b], -1)
                if cell < 0 or not self.knowns[cell] or self.zeros[cell] or self.slacks[cell] < gap - _TOL:
                    continue
                fresh = self.publisheds[cell] and not self.hidden[cell]
                found.append((self.values[cell] if fresh else 0.0, b))
            own = offsets[a]
            for price, b in sorted(found)[:limit]:
                # Two atoms of one class: only their own cells change (the checks are the ones above).
                pair = (own, offsets[b])
                out.append(_Option(offsets=pair, coefs=(1.0, -1.0), support=pair, factor=1.0, face=price))
            if len(out) >= limit:
                return out
        # Then the nearest other atoms (fewest totals between them), whose own cell next to p exists,
        # is known and can give the slack p needs.
        offsets = self.offset_lists[k]
        index = self.code_index
        weights = dim.weights[node]
        found = []
        for b in self.near[k][a] if limit <= self.limit else self.all_near[k][a]:
            if weights[b] == weight:
                continue
            cell = index.get(base + offsets[b], -1)
            if cell < 0 or not self.knowns[cell] or self.zeros[cell] or self.slacks[cell] < gap - _TOL:
                continue
            fresh = self.publisheds[cell] and not self.hidden[cell]
            found.append((self.values[cell] if fresh else 0.0, b))
        for _price, b in sorted(found)[: limit + 1 - len(out)]:
            option = self._option(k, a, b, base, node, gap)
            if option is not None:
                out.append(option)
        return out

    # -- evaluating a certificate -----------------------------------------------------------------------
    def evaluate(self, p: int, parts: Sequence[_Option]) -> tuple[float, Certificate] | None:
        """The cost and certificate of one combination of parts, or ``None`` if it does not work."""
        index = self.code_index
        factor = math.prod(part.factor for part in parts)
        sign = 1.0 if factor > 0 else -1.0
        support = {sum(combo) for combo in _product([part.support for part in parts])}
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
                if code in support:
                    return None  # an atom the publication does not hold: its value is unknown
                continue
            if self.zeros[cell]:
                return None
            if coef < 0:
                if not self.knowns[cell]:
                    return None
                up = min(up, self.slacks[cell] / -coef)
            cells.append(cell)
            coefs.append(coef)
            if self.publisheds[cell] and not self.hidden[cell]:
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
    def search(self, p: int, limit: int, enough: int) -> tuple[float, Certificate] | None:
        """The cheapest of the first ``enough`` certificates that work, from ``limit`` parts per dimension."""
        per_dim = [self.options(p, k, limit) for k in range(len(self.block.dims))]
        chosen: tuple[float, Certificate] | None = None
        if not all(per_dim):
            return None
        combos = sorted(_product(per_dim), key=lambda parts: sum(o.face for o in parts))
        valid = 0
        for parts in combos:
            found = self.evaluate(p, parts)
            if found is None:
                continue
            valid += 1
            if chosen is None or found[0] < chosen[0] - _TOL:
                chosen = found
            if valid >= enough or chosen[0] <= _TOL:
                break
        return chosen

    def protect(self, p: int) -> None:
        """Find and apply the cheapest certificate for primary cell ``p``.

        A quick search first; if nothing works, a wide one (more partners, every combination); only
        then the fallback, which suppresses every total above one atom.
        """
        chosen = self.search(p, self.limit, _ENOUGH)
        if chosen is None:
            chosen = self.search(p, _WIDE, _WIDE**2)
        if chosen is None:
            certificate = self.fallback(p)
            self.fallbacks += 1
        else:
            certificate = chosen[1]
        self.apply(certificate)

    def apply(self, certificate: Certificate) -> None:
        """Suppress the certificate's visible cells and mark every primary cell it proves safe."""
        proves = []
        up, down = certificate.up, certificate.down
        for cell, coef in zip(certificate.cells.tolist(), certificate.coef.tolist(), strict=True):
            if self.publisheds[cell] and not self.hidden[cell]:
                self.hidden[cell] = True
                self.suppressed[cell] = True
            if self.primary_list[cell]:
                reach = coef * up if coef > 0 else coef * down
                if self.values[cell] + reach >= self.threshold - 1e-6:
                    proves.append(cell)
                    self.certified[cell] = True
        self.certificates.append(attrs.evolve(certificate, proves=tuple(proves)))

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
                        self.hidden[cell] = False
        self.certificates = [c for c, keep in zip(certificates, active, strict=True) if keep]


def _nearest(dim: Dimension, most: int | None) -> list[list[int]]:
    """For every atom, up to ``most`` atoms of other classes (all if ``None``), the nearest first."""
    pattern = (dim.weights != 0).astype(np.float64)
    count = pattern.sum(axis=0)
    shared = pattern.T @ pattern
    apart = count[:, None] + count[None, :] - 2 * shared  # nodes that sum one atom and not the other
    same = dim.classes[:, None] == dim.classes[None, :]
    apart[same] = np.inf
    order = np.argsort(apart, axis=1, kind="stable")[:, :most]
    return [[int(b) for b in row if np.isfinite(apart[a, b])] for a, row in enumerate(order.tolist())]


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
