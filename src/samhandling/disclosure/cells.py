"""A publication as cells and the sums that tie them together.

Every row of a person count becomes a *cell*: a variable, a year and one *node* per dimension — the
region (any level), the month and every other dimension column of the tables.  A node is a leaf (one
municipality, one unit, one month) or a total (a county, all units — a null or ``"total"`` value — the
whole year).  Cells of the same variable and year form a :class:`Block`; blocks share no sums, so each
is protected on its own.  Rows of different tables with the same key are the same cell (the tables of
one publication share cells), and a rate or share row stands for the counts it is computed from,
because the population behind a rate is public.

The finest nodes of each dimension are its *atoms*; every cell is a weighted sum of the atom cells
under it (weights are 1, or a recorded share for an area split between catchments).  Region sums follow
:meth:`samhandling.geography.Geography.membership` and the roll-up settings a table records.  A total
larger than its parts in the publication has parts the publication leaves out (they are never
touched); a total *smaller* than its parts means the sums were not made the way the structure says,
and protection stops rather than build on a wrong model.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import DisclosureError
from samhandling.levels import Level
from samhandling.tables import StatTable, Variable

if typing.TYPE_CHECKING:
    from samhandling.geography import Geography

__all__ = [
    "ALL",
    "REGION",
    "TOLERANCE",
    "TOTAL_CODES",
    "Block",
    "Dimension",
    "Publication",
    "RowLink",
    "ancestor_grid",
    "build_publication",
    "counts_people",
    "declared_variables",
    "dimension_names",
    "lookup_variable",
    "parts_sum",
    "variable_kind",
]

#: The node label of "all values" in a dimension (a null or ``"total"`` value in the table).
ALL = "*"
#: Dimension values that mean "all values of this dimension" (besides null).
TOTAL_CODES: frozenset[str] = frozenset({"total", "i alt", "totalt", "alle"})
#: The name of the region dimension.
REGION = "region"
#: Sums of counts agree within this share of the total (or of 1 for small totals).
TOLERANCE = 1e-6

_NON_DIMENSIONS = frozenset({"region", "level", "year", "variable", "value", "status"})
_SEP = "\x1f"
_BASE_LEVELS = frozenset({Level.MUNICIPALITY.value, Level.DISTRICT.value})


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Dimension:
    """One dimension of a block: its nodes, which of them are atoms, and how nodes sum atoms.

    ``weights[n, a]`` is the share of atom ``a`` in node ``n`` (1 for a member, 0 otherwise);
    ``atom_of[n]`` is the atom a leaf node stands for (-1 for a total).  ``classes[a]`` numbers atoms
    with the same ancestors: two atoms of one class are summed together by every total of the
    dimension (two municipalities in the same county, health trust and DPS).
    """

    name: str
    nodes: tuple[Any, ...]
    weights: np.ndarray = attrs.field(repr=False)
    atom_node: np.ndarray = attrs.field(repr=False)
    atom_of: np.ndarray = attrs.field(repr=False)
    ancestors: tuple[tuple[tuple[int, float], ...], ...] = attrs.field(repr=False)
    members: tuple[tuple[tuple[int, float], ...], ...] = attrs.field(repr=False)
    classes: np.ndarray = attrs.field(repr=False)

    @classmethod
    def from_weights(
        cls, name: str, nodes: Sequence[Any], weights: np.ndarray, atom_node: np.ndarray
    ) -> Dimension:
        """A dimension from its weight matrix (nodes × atoms) and the node of each atom."""
        atom_of = np.full(len(nodes), -1, np.int64)
        atom_of[atom_node] = np.arange(len(atom_node))
        ancestors = tuple(
            tuple((int(n), float(weights[n, a])) for n in np.flatnonzero(weights[:, a]))
            for a in range(weights.shape[1])
        )
        members = tuple(
            tuple((int(a), float(weights[n, a])) for a in np.flatnonzero(weights[n, :]))
            for n in range(weights.shape[0])
        )
        signature: dict[tuple[tuple[int, float], ...], int] = {}
        classes = np.empty(weights.shape[1], np.int64)
        for a in range(weights.shape[1]):
            key = tuple(pair for pair in ancestors[a] if pair[0] != atom_node[a])
            classes[a] = signature.setdefault(key, len(signature))
        return cls(
            name=name,
            nodes=tuple(nodes),
            weights=weights,
            atom_node=np.asarray(atom_node, np.int64),
            atom_of=atom_of,
            ancestors=ancestors,
            members=members,
            classes=classes,
        )

    @property
    def size(self) -> int:
        """The number of nodes."""
        return len(self.nodes)

    def label(self, node: int) -> str:
        """A node as a person reads it (``county 46``, ``all``, ``DPS``)."""
        value = self.nodes[node]
        if value == ALL:
            return "all"
        if isinstance(value, tuple):
            return f"{value[0]} {value[1]}"
        return str(value)


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Block:
    """The cells of one variable in one year, and how they sum.

    Per cell: ``nodes[c]`` (one node index per dimension), ``value[c]`` (NaN where the input has no
    value, e.g. a cell a source already suppressed), ``published[c]`` (a published row shows it, as a
    count or as a rate computed from it) and ``whole[c]`` (a plain sum of whole counts, so an outsider
    knows that a suppressed one is at least 1).  ``atom[c]`` is true for cells whose every node is an
    atom.  ``hidden_parts`` counts totals with parts the publication leaves out.
    """

    variable: str
    year: int
    dims: tuple[Dimension, ...]
    nodes: np.ndarray = attrs.field(repr=False)
    value: np.ndarray = attrs.field(repr=False)
    published: np.ndarray = attrs.field(repr=False)
    whole: np.ndarray = attrs.field(repr=False)
    atom: np.ndarray = attrs.field(repr=False)
    codes: np.ndarray = attrs.field(repr=False)
    strides: np.ndarray = attrs.field(repr=False)
    residual: np.ndarray | None = attrs.field(default=None, repr=False)

    @property
    def hidden_parts(self) -> int:
        """How many totals have parts the publication leaves out."""
        if self.residual is None:
            return 0
        scale = TOLERANCE * np.maximum(1.0, np.abs(np.nan_to_num(self.value)))
        return int(np.count_nonzero(np.nan_to_num(self.residual) > scale))

    @property
    def size(self) -> int:
        """The number of cells."""
        return int(self.nodes.shape[0])

    def code_of(self, key: Sequence[int]) -> int:
        """The integer code of a tuple of node indices (cells are sorted by it)."""
        return int(np.dot(np.asarray(key, np.int64), self.strides))

    def cell(self, key: Sequence[int]) -> int | None:
        """The cell with these node indices, or ``None`` when the publication has no such cell."""
        code = self.code_of(key)
        i = int(np.searchsorted(self.codes, code))
        return i if i < self.codes.size and self.codes[i] == code else None

    def cells_of(self, codes: np.ndarray) -> np.ndarray:
        """Cell indices for an array of codes (-1 where there is no such cell)."""
        i = np.searchsorted(self.codes, codes)
        i = np.minimum(i, max(self.codes.size - 1, 0))
        found = self.codes[i] == codes if self.codes.size else np.zeros(codes.shape, bool)
        return np.where(found, i, -1)

    def describe(self, cell: int) -> str:
        """A cell as a person reads it: ``admissions 2024, region municipality 3301, unit_type DPS``."""
        parts = [
            f"{d.name} {d.label(int(n))}"
            for d, n in zip(self.dims, self.nodes[cell], strict=True)
            if d.name == REGION or d.nodes[int(n)] != ALL
        ]
        return f"{self.variable} {self.year}, " + ", ".join(parts)


@typing.final
@attrs.frozen(kw_only=True)
class RowLink:
    """Which cells some rows of a published table show: their own counts, or the counts of a rate."""

    table: int
    rows: np.ndarray = attrs.field(eq=False, repr=False)
    block: int
    cells: np.ndarray = attrs.field(eq=False, repr=False)
    derived: bool = False


@typing.final
@attrs.frozen(kw_only=True)
class Publication:
    """The blocks of a publication and the links from its table rows to their cells.

    ``independent`` lists, per table, rows of person counts that are not sums of each other (distinct
    patients): they are suppressed by their own value only.
    """

    tables: tuple[StatTable, ...]
    blocks: tuple[Block, ...]
    links: tuple[RowLink, ...]
    independent: tuple[tuple[int, np.ndarray], ...] = ()

    @property
    def cell_count(self) -> int:
        """The number of person-count cells in the publication."""
        return sum(b.size for b in self.blocks)


# -- variables ------------------------------------------------------------------------------------------
def _catalogue_variable(variable_id: str) -> Variable | None:
    from samhandling.errors import SamhandlingError

    try:
        from samhandling.catalogue import variables

        found: Variable = variables()[variable_id]
    except (SamhandlingError, KeyError):  # a broken plugin must not stop protecting declared variables
        return None
    return found


def declared_variables(tables: Iterable[StatTable]) -> dict[str, Variable]:
    """Every variable the tables declare (a declaration that counts people wins over one that does not)."""
    found: dict[str, Variable] = {}
    for table in tables:
        for key, var in table.meta.variables.items():
            known = found.get(key)
            if known is None or (var.counts_people and not known.counts_people):
                found[key] = var
    return found


def lookup_variable(variable_id: str, declared: Mapping[str, Variable]) -> Variable | None:
    """A variable's declaration: in the tables, else in the catalogue of registered variables."""
    return declared.get(variable_id) or _catalogue_variable(variable_id)


def counts_people(variable_id: str, declared: Mapping[str, Variable]) -> bool:
    """Whether the variable counts people, by its declaration in the tables *or* in the catalogue.

    Either is enough: a table that declares ``admissions`` without the flag is still protected when a
    plugin's catalogue says that admissions count people.
    """
    found = declared.get(variable_id)
    if found is not None and found.counts_people:
        return True
    registered = _catalogue_variable(variable_id)
    return bool(registered is not None and registered.counts_people)


def variable_kind(
    variable_id: str, table: StatTable, declared: Mapping[str, Variable]
) -> tuple[str, tuple[str, ...]]:
    """How a variable takes part: ``count`` (summed), ``independent``, ``derived`` (with its counts)."""
    var = table.meta.variables.get(variable_id) or lookup_variable(variable_id, declared)
    if var is None:
        return "other", ()
    if var.counts_people or (not var.is_ratio and counts_people(variable_id, declared)):
        return ("count" if var.additive else "independent"), ()
    if var.is_ratio:
        parts = tuple(
            p for p in (var.numerator, var.denominator) if p is not None and counts_people(p, declared)
        )
        if parts:
            return "derived", parts
    return "other", ()


# -- columns --------------------------------------------------------------------------------------------
def _strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return array


def dimension_names(tables: Iterable[StatTable]) -> list[str]:
    """The dimension columns of the tables (``month`` included), in order of first appearance."""
    names: dict[str, None] = {}
    for table in tables:
        for name in table.columns:
            if name not in _NON_DIMENSIONS:
                names[name] = None
    return list(names)


def _label(value: Any) -> Any:
    if value is None:
        return ALL
    text = str(value)
    return ALL if text.strip().casefold() in TOTAL_CODES else text


class _Labels:
    """Global node labels per dimension, so that every table's rows get comparable codes."""

    def __init__(self, width: int) -> None:
        self.ids: list[dict[Any, int]] = [{} for _ in range(width)]

    def encode(self, k: int, column: pa.Array, region: bool = False) -> np.ndarray:
        """Per row, the global id of its label in dimension ``k``."""
        encoded = pc.dictionary_encode(column)
        values = encoded.dictionary.to_pylist()
        table = self.ids[k]
        labels = [tuple(str(v).split(_SEP, 1)) for v in values] if region else [_label(v) for v in values]
        lookup = np.array([table.setdefault(lab, len(table)) for lab in labels] or [0], np.int64)
        indices = encoded.indices
        if indices.null_count:
            all_id = table.setdefault(ALL, len(table))
            idx = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            filled: np.ndarray = np.where(idx < 0, all_id, lookup[np.maximum(idx, 0)])
            return filled
        codes: np.ndarray = lookup[indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        return codes

    def labels(self, k: int) -> list[Any]:
        """The labels of dimension ``k`` by global id."""
        out: list[Any] = [None] * len(self.ids[k])
        for label, i in self.ids[k].items():
            out[i] = label
        return out


@attrs.define
class _Part:
    """Rows of one table for one variable: global node ids per dimension, year, value."""

    table: int
    rows: np.ndarray
    ids: np.ndarray  # rows × dimensions
    years: np.ndarray
    values: np.ndarray
    published: bool


# -- building -------------------------------------------------------------------------------------------
def build_publication(
    tables: Sequence[StatTable],
    *,
    context: Sequence[StatTable] = (),
    geography: Geography | None = None,
) -> Publication:
    """The blocks of person counts in ``tables`` (published) and ``context`` (known, not published).

    :raises DisclosureError: a rate whose counts are in neither the tables nor the context, totals
        that are smaller than their parts, or cells that two tables give different values.
    """
    everything = [*tables, *context]
    declared = declared_variables(everything)
    dims = dimension_names(everything)
    width = 1 + len(dims)
    labels = _Labels(width)
    counts: dict[str, list[_Part]] = {}
    derived: list[tuple[str, _Part]] = []
    independent: list[tuple[int, np.ndarray]] = []
    extras: dict[int, Mapping[str, Any]] = {}
    for index, table in enumerate(everything):
        arrow = table.arrow
        if not arrow.num_rows:
            continue
        variables = _strings(arrow.column("variable"))
        names = [str(v) for v in pc.unique(variables).to_pylist() if v is not None]
        kinds = {v: variable_kind(v, table, declared) for v in names}
        if all(kind == "other" for kind, _ in kinds.values()):
            continue
        is_published = index < len(tables)
        extras[index] = table.meta.extra
        region = pc.binary_join_element_wise(
            _strings(arrow.column("level")), _strings(arrow.column("region")), _SEP
        )
        columns = [labels.encode(0, region, region=True)]
        for k, name in enumerate(dims, start=1):
            if name in arrow.column_names:
                columns.append(labels.encode(k, _strings(arrow.column(name))))
            else:
                columns.append(np.full(arrow.num_rows, labels.ids[k].setdefault(ALL, len(labels.ids[k]))))
        ids = np.stack(columns, axis=1)
        years = arrow.column("year").to_numpy().astype(np.int64)
        value = pc.fill_null(arrow.column("value"), math.nan).to_numpy(zero_copy_only=False).astype(float)
        status = arrow.column("status")
        if status.null_count != len(status):
            value = np.where(pc.is_null(status).to_numpy(zero_copy_only=False), value, math.nan)
        variable_array = variables.to_numpy(zero_copy_only=False)
        for variable_id, (kind, parts) in kinds.items():
            if kind == "other":
                continue
            rows = np.flatnonzero(variable_array == variable_id)
            if kind == "independent":
                if is_published:
                    independent.append((index, rows))
                continue
            part = _Part(
                table=index,
                rows=rows,
                ids=ids[rows],
                years=years[rows],
                values=value[rows],
                published=is_published,
            )
            if kind == "count":
                counts.setdefault(variable_id, []).append(part)
            elif is_published:
                derived.extend((counted, part) for counted in parts)
    global_labels = [labels.labels(k) for k in range(width)]
    sizes = np.array([max(len(x), 1) for x in global_labels], np.int64)
    blocks: list[Block] = []
    links: list[RowLink] = []
    block_of: dict[tuple[str, int], int] = {}
    global_cells: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # block → (global codes, its cells)
    global_strides = np.ones(width, np.int64)
    for k in range(width - 2, -1, -1):
        global_strides[k] = global_strides[k + 1] * sizes[k + 1]
    for variable_id in sorted(counts):
        parts_of = counts[variable_id]
        years_all = np.concatenate([p.years for p in parts_of])
        for year in sorted(set(years_all.tolist())):
            selected = [(p, p.years == year) for p in parts_of]
            selected = [(p, m) for p, m in selected if m.any()]
            ids = np.concatenate([p.ids[m] for p, m in selected])
            vals = np.concatenate([p.values[m] for p, m in selected])
            pub = np.concatenate([np.full(int(m.sum()), p.published) for p, m in selected])
            geo_year = _one_map(variable_id, year, [p.table for p, _m in selected], everything)
            block, cell_of_row = _block(
                variable_id,
                year,
                ids,
                vals,
                pub,
                global_labels,
                dims,
                geo_year=geo_year,
                geography=geography,
                extras=[extras[p.table] for p, _m in selected],
            )
            b = len(blocks)
            block_of[(variable_id, year)] = b
            blocks.append(block)
            unique_codes, first = np.unique(ids @ global_strides, return_index=True)
            global_cells[b] = (unique_codes, cell_of_row[first])
            offset = 0
            for p, m in selected:
                n = int(m.sum())
                if p.published:
                    links.append(
                        RowLink(
                            table=p.table, rows=p.rows[m], block=b, cells=cell_of_row[offset : offset + n]
                        )
                    )
                offset += n
    for counted, rate in derived:
        for year in sorted(set(rate.years.tolist())):
            m = rate.years == year
            block_index = block_of.get((counted, year))
            codes = rate.ids[m] @ global_strides
            found = np.full(codes.shape, -1)
            if block_index is not None:
                known_codes, known_cells = global_cells[block_index]
                position = np.minimum(np.searchsorted(known_codes, codes), known_codes.size - 1)
                found = np.where(known_codes[position] == codes, known_cells[position], -1)
            if block_index is None or (found < 0).any():
                r = int(rate.rows[m][int(np.flatnonzero(found < 0)[0])])
                raise DisclosureError(
                    f"{_name(everything[rate.table])}, row {r + 1}: a rate or share computed from {counted} "
                    f"({_row_text(everything[rate.table], r)}, {year}) has no {counted} count in the "
                    f"publication or its context; pass the counts behind the rates as context so that "
                    f"both are protected together"
                )
            blocks[block_index].published[found] = True
            links.append(
                RowLink(table=rate.table, rows=rate.rows[m], block=block_index, cells=found, derived=True)
            )
    return Publication(
        tables=tuple(tables), blocks=tuple(blocks), links=tuple(links), independent=tuple(independent)
    )


def _one_map(variable_id: str, year: int, table_indices: Sequence[int], tables: Sequence[StatTable]) -> int:
    """The one municipality map (geography year) of a block's tables (the year itself if none says)."""
    declared = {g for i in table_indices if (g := tables[i].geography_year) is not None}
    if len(declared) > 1:
        raise DisclosureError(
            f"{variable_id} {year}: the tables use different municipality maps "
            f"({', '.join(map(str, sorted(declared)))}); harmonise them to one year first"
        )
    return next(iter(declared)) if declared else year


def _name(table: StatTable) -> str:
    return f"table {table.meta.title!r}" if table.meta.title else f"a table from {table.source or 'memory'}"


def _row_text(table: StatTable, row: int) -> str:
    record = table.arrow.slice(row, 1).to_pylist()[0]
    keys = [f"{record['level']} {record['region']}"]
    keys += [f"{k} {v}" for k, v in record.items() if k not in _NON_DIMENSIONS and v is not None]
    return ", ".join(keys)


def _block(
    variable_id: str,
    year: int,
    ids: np.ndarray,
    values: np.ndarray,
    published_rows: np.ndarray,
    global_labels: Sequence[Sequence[Any]],
    dims: Sequence[str],
    *,
    geo_year: int,
    geography: Geography | None,
    extras: Sequence[Mapping[str, Any]],
) -> tuple[Block, np.ndarray]:
    """One block from its rows (global ids per dimension); returns it and the cell of every row."""
    width = ids.shape[1]
    local = np.empty_like(ids)
    dimensions: list[Dimension] = []
    for k in range(width):
        used, inverse = np.unique(ids[:, k], return_inverse=True)
        values_k = [global_labels[k][int(i)] for i in used.tolist()]
        order = sorted(range(len(values_k)), key=lambda i: _order(values_k[i]))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        local[:, k] = rank[inverse.reshape(-1)]
        ordered = [values_k[i] for i in order]
        if k == 0:
            dimensions.append(
                _region_dimension(
                    ordered,
                    geo_year=geo_year,
                    geography=geography,
                    extras=extras,
                    what=f"{variable_id} {year}",
                )
            )
        else:
            dimensions.append(_plain_dimension(dims[k - 1], ordered))
    sizes = np.array([d.size for d in dimensions], np.int64)
    strides = np.ones(width, np.int64)
    for k in range(width - 2, -1, -1):
        strides[k] = strides[k + 1] * sizes[k + 1]
    row_codes = local @ strides
    codes, cell_of_row = np.unique(row_codes, return_inverse=True)
    cell_of_row = cell_of_row.reshape(-1)
    n = codes.size
    nodes = np.empty((n, width), np.int64)
    remainder = codes.copy()
    for k in range(width):
        nodes[:, k] = remainder // strides[k]
        remainder = remainder % strides[k]
    value = np.full(n, math.nan)
    known = ~np.isnan(values)
    if known.any():
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        np.minimum.at(lo, cell_of_row[known], values[known])
        np.maximum.at(hi, cell_of_row[known], values[known])
        have = np.isfinite(lo)
        spread = np.where(have, hi - lo, 0.0)
        bad = np.flatnonzero(spread > TOLERANCE * np.maximum(1.0, np.abs(np.where(have, hi, 0.0))))
        if bad.size:
            c = int(bad[0])
            raise DisclosureError(
                f"{_describe(variable_id, year, dimensions, nodes[c])}: two tables give different values "
                f"({lo[c]:g} and {hi[c]:g}) for the same cell; a publication must agree with itself"
            )
        value[have] = lo[have]
    published = np.zeros(n, bool)
    published[cell_of_row[published_rows]] = True
    atom = np.ones(n, bool)
    whole = np.ones(n, bool)
    for k, d in enumerate(dimensions):
        atom &= d.atom_of[nodes[:, k]] >= 0
        integral = np.array([all(float(w).is_integer() for _a, w in d.members[j]) for j in range(d.size)])
        whole &= integral[nodes[:, k]]
    block = Block(
        variable=variable_id,
        year=year,
        dims=tuple(dimensions),
        nodes=nodes,
        value=value,
        published=published,
        whole=whole,
        atom=atom,
        codes=codes,
        strides=strides,
    )
    return attrs.evolve(block, residual=_check_sums(block)), cell_of_row


def _describe(variable_id: str, year: int, dims: Sequence[Dimension], nodes: np.ndarray) -> str:
    parts = [
        f"{d.name} {d.label(int(n))}"
        for d, n in zip(dims, nodes, strict=True)
        if d.name == REGION or d.nodes[int(n)] != ALL
    ]
    return f"{variable_id} {year}, " + ", ".join(parts)


def _order(value: Any) -> tuple[int, str]:
    if value == ALL:
        return (0, "")
    if isinstance(value, tuple):
        level = value[0]
        rank = [lv.value for lv in Level].index(level) if level in {lv.value for lv in Level} else 99
        return (1 + rank, str(value[1]))
    return (1, str(value))


def _plain_dimension(name: str, values: Sequence[Any]) -> Dimension:
    """A flat dimension: leaf values are atoms, :data:`ALL` sums them all."""
    nodes = list(values)
    leaves = [i for i, v in enumerate(nodes) if v != ALL]
    if not leaves:  # only the total: it is the one atom
        return Dimension.from_weights(name, nodes, np.ones((1, 1)), np.zeros(1, np.int64))
    weights = np.zeros((len(nodes), len(leaves)))
    for a, node in enumerate(leaves):
        weights[node, a] = 1.0
    if ALL in nodes:
        weights[nodes.index(ALL), :] = 1.0
    return Dimension.from_weights(name, nodes, weights, np.asarray(leaves, np.int64))


# -- the region dimension -------------------------------------------------------------------------------
def _region_dimension(
    nodes: Sequence[tuple[str, str]],
    *,
    geo_year: int,
    geography: Geography | None,
    extras: Sequence[Mapping[str, Any]],
    what: str,
) -> Dimension:
    """Region nodes of any level, their finest nodes as atoms, and each node's share of each atom."""
    levels = {level for level, _code in nodes}
    if len(levels) == 1:
        n = len(nodes)  # one level: no sums between the areas
        return Dimension.from_weights(REGION, list(nodes), np.eye(n), np.arange(n, dtype=np.int64))
    if geography is None or geography.year != geo_year:
        from samhandling.geography import Geography

        geography = Geography.for_year(geo_year)
    districts_of: dict[str, list[str]] = {}
    for district in geography.districts:
        districts_of.setdefault(district.municipality, []).append(district.code)
    present_districts = {code for level, code in nodes if level == Level.DISTRICT.value}
    # How the tables were rolled up: explicit shares, and levels where split areas were left out.
    given: dict[tuple[str, str, str], float] = {}
    left_out: set[str] = set()
    for extra in extras:
        for level, settings in (extra.get("roll_up") or {}).items():
            if settings.get("unassigned") == "exclude":
                left_out.add(str(level))
            for r, p, w in settings.get("weights", []):
                given[(str(level), str(r), str(p))] = float(w)

    def split_into_districts(code: str) -> list[str]:
        return [d for d in districts_of.get(code, []) if d in present_districts] if len(code) == 4 else []

    def expand(share: Mapping[str, float]) -> dict[str, float]:
        """Members whose districts are in the publication become those districts."""
        out: dict[str, float] = {}
        for region, weight in share.items():
            for part in split_into_districts(region) or [region]:
                out[part] = out.get(part, 0.0) + weight
        return out

    memberships: dict[str, dict[str, list[tuple[str, float | None]]]] = {}
    bases: dict[tuple[str, str], dict[str, float]] = {}
    for level, code in nodes:
        if level in _BASE_LEVELS:
            bases[(level, code)] = expand({code: 1.0})
            continue
        if level not in memberships:
            table = geography.membership(level)
            by_parent: dict[str, list[tuple[str, float | None]]] = {}
            for region, parent, weight in zip(
                table.column("region").to_pylist(),
                table.column("parent").to_pylist(),
                table.column("weight").to_pylist(),
                strict=True,
            ):
                by_parent.setdefault(str(parent), []).append((str(region), weight))
            memberships[level] = by_parent
        listed = dict(memberships[level].get(code, []))
        share: dict[str, float] = {}
        for region, weight in listed.items():
            if len(region) == 6 and listed.get(region[:4]) is not None:
                continue  # the whole municipality is listed: its districts are not counted twice
            if weight is None:
                if (level, region, code) in given:
                    share[region] = given[(level, region, code)]
                elif split_into_districts(region):
                    continue  # its districts are listed with their own parents
                elif level in left_out:
                    continue  # the roll-up left the split area out of this level
                else:
                    raise DisclosureError(
                        f"{what}: {level} {code} takes part of {region}, which is split between several "
                        f"areas in shares that are not published; publish its city-district figures or "
                        f"roll it up with explicit weights"
                    )
            else:
                share[region] = float(weight)
        if level == Level.NATIONAL.value:
            for other_level, other_code in nodes:  # 'unknown' codes belong to the country only
                if other_level in _BASE_LEVELS and (other_code == "9999" or other_code.endswith("99")):
                    share.setdefault(other_code, 1.0)
        bases[(level, code)] = expand(share)
    ordered = list(nodes)
    keys = [frozenset(bases[node]) for node in ordered]
    atoms: list[int] = []
    taken: dict[frozenset[str], int] = {}
    for i in sorted(range(len(ordered)), key=lambda i: -_order(ordered[i])[0]):
        mine = keys[i]
        if not mine or mine in taken:
            continue
        if any(other and other < mine for other in keys):
            continue
        taken[mine] = i
        atoms.append(i)
    atoms.sort()
    weights = np.zeros((len(ordered), len(atoms)))
    for a, i in enumerate(atoms):
        atom_base = bases[ordered[i]]
        for n, node in enumerate(ordered):
            node_base = bases[node]
            shared = {r: node_base[r] for r in atom_base if r in node_base}
            if not shared:
                continue
            shares = set(shared.values())
            if set(shared) == set(atom_base) and len(shares) == 1:
                weights[n, a] = shares.pop()
            else:
                raise DisclosureError(
                    f"{what}: {node[0]} {node[1]} and {ordered[i][0]} {ordered[i][1]} overlap in part, and "
                    f"the publication has no finer figures that tell how; add the municipality figures "
                    f"they are made of"
                )
    return Dimension.from_weights(REGION, ordered, weights, np.asarray(atoms, np.int64))


# -- consistency of the sums ----------------------------------------------------------------------------
def _check_sums(block: Block) -> np.ndarray:
    """Every total must be at least the sum of its parts in the publication; returns the remainders."""
    expected = parts_sum(block)
    total = ~block.atom & ~np.isnan(block.value) & ~np.isnan(expected)
    diff = block.value - expected
    scale = TOLERANCE * np.maximum(1.0, np.abs(block.value))
    short = np.flatnonzero(total & (diff < -scale))
    if short.size:
        c = int(short[0])
        raise DisclosureError(
            f"{block.describe(c)}: the total is {block.value[c]:g} but its parts in the publication sum to "
            f"{expected[c]:g}; a total must be the sum of its parts (correct the total or leave it out)"
        )
    return np.where(total, diff, np.where(block.atom, 0.0, math.nan))


def ancestor_grid(block: Block, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For atom cells: the codes of every cell-or-combination above each, and the product weights.

    Returns two arrays of shape ``(len(cells), combinations)``; a combination that is padding has
    weight 0.
    """
    per_dim_nodes = []
    per_dim_weights = []
    for k, d in enumerate(block.dims):
        width = max(len(a) for a in d.ancestors)
        anc = np.zeros((len(d.ancestors), width), np.int64)
        w = np.zeros((len(d.ancestors), width))
        for a, pairs in enumerate(d.ancestors):
            for j, (node, weight) in enumerate(pairs):
                anc[a, j] = node
                w[a, j] = weight
        atom_index = d.atom_of[block.nodes[cells, k]]
        per_dim_nodes.append(anc[atom_index])
        per_dim_weights.append(w[atom_index])
    codes = np.zeros((cells.size, 1), np.int64)
    weights = np.ones((cells.size, 1))
    for k in range(len(block.dims)):
        codes = (codes[:, :, None] + per_dim_nodes[k][:, None, :] * block.strides[k]).reshape(cells.size, -1)
        weights = (weights[:, :, None] * per_dim_weights[k][:, None, :]).reshape(cells.size, -1)
    return codes, weights


def parts_sum(block: Block) -> np.ndarray:
    """For every cell, the weighted sum of the atom cells under it (NaN where an atom has no value)."""
    atoms = np.flatnonzero(block.atom & (np.isnan(block.value) | (block.value != 0)))
    out = np.zeros(block.size)
    if not atoms.size:
        return out
    codes, weights = ancestor_grid(block, atoms)
    target = block.cells_of(codes.reshape(-1)).reshape(codes.shape)
    valid = (target >= 0) & (weights != 0)
    values = np.broadcast_to(block.value[atoms][:, None], codes.shape)
    unknown = valid & np.isnan(values)
    known = valid & ~np.isnan(values)
    np.add.at(out, target[known], (weights * np.nan_to_num(values))[known])
    out[np.unique(target[unknown])] = math.nan
    return out
