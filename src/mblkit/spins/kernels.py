"""numba kernels of the spin-chain core: basis enumeration, ranking, operator strings.

Kernels take and return plain arrays and integers; they never see models, configs or files.

Conventions shared by every kernel
----------------------------------
* A basis state of L spins-1/2 is an unsigned integer; bit ``i`` is site ``i``; bit value 1 is
  spin up (sigma^z = +1), bit value 0 is spin down (sigma^z = -1).
* Single-site operator codes: 0 identity, 1 sigma^x, 2 sigma^y, 3 sigma^z, 4 S^+ (= |up><down|),
  5 S^- (= |down><up|). sigma are Pauli matrices; S^+ and S^- have unit matrix elements.
* An operator string ``ops[0] ops[1] ...`` on ``sites[0] sites[1] ...`` is the operator product
  in that order, so the last factor acts first.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OP_IDENTITY, OP_X, OP_Y, OP_Z, OP_PLUS, OP_MINUS = 0, 1, 2, 3, 4, 5


@njit(cache=True, nogil=True)
def binomial_table(n_max: int) -> np.ndarray:
    """Pascal's triangle ``C[n, k]`` for ``0 <= k <= n <= n_max`` as int64 (zero elsewhere)."""
    table = np.zeros((n_max + 2, n_max + 2), dtype=np.int64)
    for n in range(n_max + 2):
        table[n, 0] = 1
        for k in range(1, n + 1):
            table[n, k] = table[n - 1, k - 1] + table[n - 1, k]
    return table


@njit(cache=True, nogil=True)
def sector_states(n_sites: int, n_up: int, binom: np.ndarray) -> np.ndarray:
    """All ``n_sites``-bit integers with ``n_up`` set bits, in increasing order (Gosper's hack)."""
    dim = binom[n_sites, n_up]
    states = np.empty(dim, dtype=np.int64)
    if n_up == 0:
        states[0] = 0
        return states
    state = (np.int64(1) << n_up) - 1
    for k in range(dim):
        states[k] = state
        lowest = state & -state
        ripple = state + lowest
        state = (((ripple ^ state) >> 2) // lowest) | ripple
    return states


@njit(cache=True, nogil=True)
def rank_state(state: np.int64, binom: np.ndarray) -> np.int64:
    """Position of ``state`` among the integers with the same popcount, in increasing order.

    Combinatorial number system: for set bits at c_1 < c_2 < ... < c_k the rank is
    sum_m C(c_m, m). Colexicographic order of the bit positions equals the order of the
    integers, so this is the index into :func:`sector_states`. Cost O(number of sites).
    """
    rank = np.int64(0)
    m = 0
    position = 0
    while state:
        if state & 1:
            m += 1
            rank += binom[position, m]
        state >>= 1
        position += 1
    return rank


@njit(cache=True, nogil=True)
def rank_states(states: np.ndarray, binom: np.ndarray) -> np.ndarray:
    """:func:`rank_state` for an array of states."""
    out = np.empty(states.shape[0], dtype=np.int64)
    for k in range(states.shape[0]):
        out[k] = rank_state(states[k], binom)
    return out


@njit(cache=True, nogil=True)
def apply_opstring(state: np.int64, ops: np.ndarray, sites: np.ndarray):
    """Act with an operator string on a basis state: returns ``(new_state, amplitude)``.

    The amplitude is ``<new_state| O |state>``; it is 0 when O annihilates the state.
    """
    amp = 1.0 + 0.0j
    for f in range(ops.shape[0] - 1, -1, -1):
        op = ops[f]
        if op == OP_IDENTITY:
            continue
        mask = np.int64(1) << sites[f]
        up = (state & mask) != 0
        if op == OP_X:
            state ^= mask
        elif op == OP_Y:
            # sigma^y |up> = i |down>,  sigma^y |down> = -i |up>
            amp *= 1.0j if up else -1.0j
            state ^= mask
        elif op == OP_Z:
            if not up:
                amp = -amp
        elif op == OP_PLUS:
            if up:
                return state, 0.0j
            state ^= mask
        else:  # OP_MINUS
            if not up:
                return state, 0.0j
            state ^= mask
    return state, amp


@njit(cache=True, nogil=True)
def opstring_map(states: np.ndarray, in_sector: bool, binom: np.ndarray,
                 ops: np.ndarray, sites: np.ndarray):
    """Matrix of one operator string as a map: column k has its only entry at row ``targets[k]``.

    Spin operator strings are monomial (at most one non-zero per column), so the operator is
    fully described by ``targets`` (-1 where the state is annihilated) and ``amplitudes``.
    In a sector basis the string must conserve the number of up spins.
    """
    n = states.shape[0]
    targets = np.empty(n, dtype=np.int64)
    amps = np.empty(n, dtype=np.complex128)
    for k in range(n):
        new, amp = apply_opstring(states[k], ops, sites)
        amps[k] = amp
        if amp == 0:
            targets[k] = -1
        elif in_sector:
            targets[k] = rank_state(new, binom)
        else:
            targets[k] = new
    return targets, amps


@njit(cache=True, nogil=True)
def assemble_coo(states: np.ndarray, in_sector: bool, binom: np.ndarray, ops: np.ndarray,
                 sites: np.ndarray, coeffs: np.ndarray):
    """COO entries of sum_t coeffs[t] * (operator string t) in the basis ``states``.

    Diagonal strings are summed into one diagonal entry per state; off-diagonal entries are
    counted first and then written, so memory is exact. Returns ``(rows, cols, values)``.
    """
    n = states.shape[0]
    n_terms = ops.shape[0]
    diagonal = np.zeros(n, dtype=np.complex128)
    n_off = 0
    for t in range(n_terms):
        for k in range(n):
            new, amp = apply_opstring(states[k], ops[t], sites[t])
            if amp != 0:
                if new == states[k]:
                    diagonal[k] += coeffs[t] * amp
                else:
                    n_off += 1
    n_diag = 0
    for k in range(n):
        if diagonal[k] != 0:
            n_diag += 1
    rows = np.empty(n_off + n_diag, dtype=np.int64)
    cols = np.empty(n_off + n_diag, dtype=np.int64)
    vals = np.empty(n_off + n_diag, dtype=np.complex128)
    e = 0
    for k in range(n):
        if diagonal[k] != 0:
            rows[e] = k
            cols[e] = k
            vals[e] = diagonal[k]
            e += 1
    for t in range(n_terms):
        for k in range(n):
            new, amp = apply_opstring(states[k], ops[t], sites[t])
            if amp != 0 and new != states[k]:
                rows[e] = rank_state(new, binom) if in_sector else new
                cols[e] = k
                vals[e] = coeffs[t] * amp
                e += 1
    return rows, cols, vals


@njit(cache=True, nogil=True)
def compress_bits(states: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Gather the bits of ``sites`` of each state into a dense integer (bit m <- site sites[m])."""
    out = np.zeros(states.shape[0], dtype=np.int64)
    for k in range(states.shape[0]):
        code = np.int64(0)
        for m in range(sites.shape[0]):
            if (states[k] >> sites[m]) & 1:
                code |= np.int64(1) << m
        out[k] = code
    return out


@njit(cache=True, nogil=True)
def popcounts(states: np.ndarray) -> np.ndarray:
    """Number of set bits of each state."""
    out = np.zeros(states.shape[0], dtype=np.int64)
    for k in range(states.shape[0]):
        s = states[k]
        c = 0
        while s:
            s &= s - 1
            c += 1
        out[k] = c
    return out


@njit(cache=True, nogil=True)
def apply_one_site_gate(states: np.ndarray, gate: np.ndarray, site: int) -> None:
    """In place, ``states[i, :] <- (gate acting on site) states``: rows are basis states.

    ``gate[s', s]`` is indexed by the bit value of the site (0 = down, 1 = up).
    """
    n, m = states.shape
    mask = 1 << site
    for i in range(n):
        if i & mask:
            continue
        j = i | mask
        for c in range(m):
            x0 = states[i, c]
            x1 = states[j, c]
            states[i, c] = gate[0, 0] * x0 + gate[0, 1] * x1
            states[j, c] = gate[1, 0] * x0 + gate[1, 1] * x1


@njit(cache=True, nogil=True)
def apply_two_site_gate(states: np.ndarray, gate: np.ndarray, site_a: int, site_b: int
                        ) -> None:
    """In place, ``states[i, :] <- (gate acting on sites a, b) states``: rows are basis states.

    ``gate`` is 4 x 4, indexed by ``2 s_a + s_b`` with s the bit values of sites a and b, so
    that ``kron(A, B)`` is A on site a and B on site b.
    """
    n, m = states.shape
    ma = 1 << site_a
    mb = 1 << site_b
    for i in range(n):
        if i & ma or i & mb:
            continue
        r1 = i | mb
        r2 = i | ma
        r3 = i | ma | mb
        for c in range(m):
            x0 = states[i, c]
            x1 = states[r1, c]
            x2 = states[r2, c]
            x3 = states[r3, c]
            states[i, c] = gate[0, 0] * x0 + gate[0, 1] * x1 + gate[0, 2] * x2 + gate[0, 3] * x3
            states[r1, c] = gate[1, 0] * x0 + gate[1, 1] * x1 + gate[1, 2] * x2 + gate[1, 3] * x3
            states[r2, c] = gate[2, 0] * x0 + gate[2, 1] * x1 + gate[2, 2] * x2 + gate[2, 3] * x3
            states[r3, c] = gate[3, 0] * x0 + gate[3, 1] * x1 + gate[3, 2] * x2 + gate[3, 3] * x3
