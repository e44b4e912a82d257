# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""A* in compiled code for `routing.planner`: Dijkstra on reduced costs over a CSR graph, from a start that is no
row of the graph, until the watched rows are settled or the one settled surely beats the other.

The reduced cost of an arc u -> v of weight w is max(w - h(u) + h(v), epsilon), h being the straight-line metres from
a row's node to the end point times the cheapest metre, as the planner's scipy search summed them before (the same
operations in the same order, so the same sums); rows reached beyond the limit are never settled. Only the rows a
search touches are read or written: per-row state is valid where its stamp is the search's, so a search costs what
the walk costs, not what the map holds. The rows reached and not yet settled wait in a 4-ary heap by reduced cost,
each once (a cheaper way moves it up): shallower than a binary heap, and no stale entries to skip.
"""

from libc.math cimport INFINITY, sqrt
from libcpp.vector cimport vector

cdef int _FROM_START = -1
# Arrival costs within this of each other are left for the caller to compare (its sums may round otherwise).
cdef double _SURELY = 1e-6


cdef struct _Bound:
    const int* row_node
    const double* node_x
    const double* node_y
    double end_x
    double end_y
    double metre_cost


cdef inline double _h(const _Bound* bound, int row) noexcept nogil:
    """The A* bound of a row: straight-line metres from its node to the end point times the cheapest metre."""
    cdef int node = bound.row_node[row]
    cdef double dx = bound.node_x[node] - bound.end_x
    cdef double dy = bound.node_y[node] - bound.end_y
    return sqrt(dx * dx + dy * dy) * bound.metre_cost


cdef inline void _sift_up(int* heap, int* position, const double* key, int i, int row) noexcept nogil:
    """Put `row` at slot i of the heap (a new last slot, or its own slot after its key fell) and move it up to where
    its key belongs; `position` follows every row moved."""
    cdef int parent
    cdef double k = key[row]
    while i > 0:
        parent = (i - 1) >> 2
        if not k < key[heap[parent]]:
            break
        heap[i] = heap[parent]
        position[heap[i]] = i
        i = parent
    heap[i] = row
    position[row] = i


cdef inline void _remove_top(int* heap, int* position, const double* key, int size) noexcept nogil:
    """Take the row of the least key (slot 0) off a heap of `size` rows: its last row sinks from the top."""
    cdef int last = heap[size - 1]
    cdef int i = 0, child, best, c, end
    cdef double k = key[last]
    size -= 1
    while True:
        child = 4 * i + 1
        if child >= size:
            break
        best = child
        end = child + 4 if child + 4 < size else size
        for c in range(child + 1, end):
            if key[heap[c]] < key[heap[best]]:
                best = c
        if not key[heap[best]] < k:
            break
        heap[i] = heap[best]
        position[heap[i]] = i
        i = best
    if size > 0:
        heap[i] = last
        position[last] = i


cdef struct _Rows:
    double* reduced
    int* predecessor
    unsigned int* reached
    int* heap
    int* position


cdef inline int _offer(_Rows* rows, int size, unsigned int stamp, int row, double value, int came_from) noexcept nogil:
    """A way to `row` of reduced cost `value` from `came_from`: the row waits in the heap with it if it was not
    reached yet in this search (stamp) or moves up if the way is cheaper. Returns the heap's new size."""
    if rows.reached[row] != stamp:
        rows.reached[row] = stamp
        rows.reduced[row] = value
        rows.predecessor[row] = came_from
        _sift_up(rows.heap, rows.position, rows.reduced, size, row)
        return size + 1
    if value < rows.reduced[row]:
        rows.reduced[row] = value
        rows.predecessor[row] = came_from
        _sift_up(rows.heap, rows.position, rows.reduced, rows.position[row], row)
    return size


cdef class AStar:
    """Search state for a graph of `rows` rows; one search at a time (the planner holds a lock around `search`)."""

    cdef vector[double] _reduced
    cdef vector[double] _h
    cdef vector[int] _predecessor
    cdef vector[unsigned int] _reached  # the stamp of the search that reached the row
    cdef vector[unsigned int] _settled  # the stamp of the search that settled the row
    cdef vector[int] _heap  # the rows waiting, a 4-ary heap by reduced cost: slot i's children are 4i + 1 ... 4i + 4
    cdef vector[int] _position  # the slot of each row in the heap (valid while it waits)
    cdef unsigned int _stamp

    def __init__(self, int rows):
        self._reduced.resize(rows)
        self._h.resize(rows)
        self._predecessor.resize(rows)
        self._reached.assign(rows, 0)
        self._settled.assign(rows, 0)
        self._heap.resize(rows)
        self._position.resize(rows)
        self._stamp = 0

    def search(self, const int[::1] indptr, const int[::1] heads, const double[::1] weights,
               const int[::1] row_node, const double[::1] node_x, const double[::1] node_y,
               double end_x, double end_y, double metre_cost, double h_source, tuple start_arcs,
               int watched_a, int watched_b, double arrival_a, double arrival_b, bint not_first, double limit,
               double epsilon):
        """Search from the start, which reaches each (row, cost) of `start_arcs`, until both watched rows are
        settled or nothing within `limit` (a reduced cost) is left. Returns whether that decided the answer (both
        settled, or one surely the best: see below; a settled row's cost is exact whatever the limit), and for each
        watched row (reduced cost, inf if not reached; its bound h; the rows from the start to it, None if not
        reached).

        Arriving at a watched row costs its reduced cost - h + `arrival_a` (`arrival_b`); inf: no arrival there
        counts. With `not_first`, a watched row reached straight from the start is no arrival either. Once a watched
        row is settled with an arrival that the other one cannot come within `_SURELY` of (its reduced cost is at
        least that of the row settled last), the search stops and leaves the other one not reached: the caller,
        taking the cheapest arrival, takes the same."""
        cdef _Bound bound = _Bound(&row_node[0], &node_x[0], &node_y[0], end_x, end_y, metre_cost)
        cdef const int* row_arcs = &indptr[0]
        cdef const int* arc_heads = &heads[0]
        cdef const double* arc_weights = &weights[0]
        cdef double* reduced = self._reduced.data()
        cdef double* h = self._h.data()
        cdef int* predecessor = self._predecessor.data()
        cdef unsigned int* reached = self._reached.data()
        cdef unsigned int* settled = self._settled.data()
        cdef unsigned int stamp
        cdef int* heap = self._heap.data()
        cdef int* position = self._position.data()
        cdef int size = 0
        cdef _Rows rows = _Rows(reduced, predecessor, reached, heap, position)
        cdef int row, head, arc, left
        cdef double value, h_row, step, h_a, h_b, best, arrival
        cdef bint decided = False
        self._stamp += 1
        if self._stamp == 0:  # the stamps wrapped around: start afresh
            self._reached.assign(self._reached.size(), 0)
            self._settled.assign(self._settled.size(), 0)
            self._stamp = 1
        stamp = self._stamp
        for start in start_arcs:
            row = start[0]
            h_row = _h(&bound, row)
            value = start[1] + h_row - h_source
            if value < epsilon:
                value = epsilon
            if not value <= limit or value == INFINITY:
                continue
            h[row] = h_row  # the same value if another start arc reached the row already
            size = _offer(&rows, size, stamp, row, value, _FROM_START)
        left = 1 if watched_a == watched_b else 2
        h_a, h_b = _h(&bound, watched_a), _h(&bound, watched_b)
        best = INFINITY  # the cheapest arrival at a settled watched row
        while left and size > 0:
            row = heap[0]
            value = reduced[row]
            if best < INFINITY and (settled[watched_a] == stamp or value - h_a + arrival_a > best + _SURELY) and (
                    settled[watched_b] == stamp or value - h_b + arrival_b > best + _SURELY):
                decided = True  # no watched row left can arrive as cheaply as the best: the answer is found
                break
            _remove_top(heap, position, reduced, size)
            size -= 1
            settled[row] = stamp
            if row == watched_a or row == watched_b:
                left -= 1
                if not (not_first and predecessor[row] == _FROM_START):
                    arrival = value - h[row] + (arrival_a if row == watched_a else arrival_b)
                    if arrival < best:
                        best = arrival
            h_row = h[row]
            for arc in range(row_arcs[row], row_arcs[row + 1]):
                head = arc_heads[arc]
                if settled[head] == stamp:
                    continue
                if reached[head] != stamp:
                    h[head] = _h(&bound, head)
                step = h[head] - h_row + arc_weights[arc]
                if step < epsilon:
                    step = epsilon
                step = value + step
                if not step <= limit or step == INFINITY:
                    continue
                size = _offer(&rows, size, stamp, head, step, row)
        return decided or left == 0, [self._found(row, stamp, _h(&bound, row)) for row in (watched_a, watched_b)]

    cdef tuple _found(self, int row, unsigned int stamp, double h_row):
        """(reduced cost, h, rows from the start) of a watched row after a search; (inf, h, None) if not settled."""
        if self._settled[row] != stamp:
            return INFINITY, h_row, None
        cdef double reduced = self._reduced[row]
        path = [row]
        while self._predecessor[row] != _FROM_START:
            row = self._predecessor[row]
            path.append(row)
        path.reverse()
        return reduced, h_row, path
