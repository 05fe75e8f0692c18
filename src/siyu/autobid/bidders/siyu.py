"""``siyu``: one global ROI target over every channel, a re-solved primal–dual threshold with calibration,
a censoring-aware log of wins, a margin set from the expected order volume, and pacing in value opportunity.

The hindsight LP (docs/autobid.md) is solved by one multiplier on ``v/p`` over *all* channels together (Aggarwal,
Badanidiyuru & Mehta 2019; one global target beats per-channel targets, Deng et al. 2023, "Multi-channel
Autobidding with Budget and ROI Constraints", ICML). siyu's bidder estimates that multiplier online from what the
protocol gives it — ``target_roi``, ``budget``, ``n_steps``, and the per-step ``values``/``channels``/``won``/
``cost``/``realized_gmv`` — and nothing else:

1. **Calibration per channel.** ``c_ch = (G_ch + m·ā·c) / (V̂_ch + m·ā)``: realized GMV ÷ predicted value over the
   channel's *won* impressions (which also removes the winner's curse of noisy predictions), shrunk toward the
   pooled ratio ``c = (G + m·ā) / (V̂ + m·ā)`` (itself shrunk toward 1, i.e. trusting the predictions at the start)
   with a prior worth ``m = prior_orders`` orders of the mean order value ``ā`` seen so far. The bid is
   ``k · c_ch · v̂``, so ranking is on calibrated value across channels.
2. **A censoring-aware log of wins.** Every win adds its price and predicted value to a log-spaced histogram of
   ``r = p / v̂`` per channel; every step adds its impression count to the *exposure* at the raw multiplier it bid
   (``k·c_ch``). A win at ``r`` would also be won by any multiplier ≥ ``r``, and the outcome of any multiplier below
   the one used is known exactly, so dividing each bin by the impressions that were exposed to it gives unbiased
   per-impression spend and value curves ``s(k)``, ``v(k)`` up to the highest multiplier ever used (inverse
   propensity weighting over the bidder's own multiplier history).
3. **Re-solving the LP for the remaining horizon** each step: the largest ``k`` with
   ``G_past + F·v(k) ≥ aim_t · (S_past + F·s(k))`` and ``S_past + F·s(k) ≤ B``, where ``F`` is the expected
   number of impressions still to come (a traffic curve learned online per step of the day,
   :class:`~siyu.autobid.bidders.pacing.TrafficCurve`) — so the budget is spread over value opportunity, not clock
   time, and ROI surplus or deficit of the past is spent or repaid over the rest, but late in the run only in part
   (``repay``: the past slack counts ``min(1, f / repay)`` with a share ``f`` of the traffic left), so the noise of
   the realized GMV does not make the multiplier jump in the last days (a primal–dual re-solve, cf.
   Balseiro, Lu & Mirrokni 2020; Feng, Padmanabhan & Wang 2023). ``G_past`` is the *calibrated* expected GMV of the
   wins, which moves from the predictions to the realized GMV as orders accumulate. Beyond the highest multiplier
   ever used nothing is known: when the constraint still has room there, ``k`` rises by ``explore`` a step.
4. **A margin from the order volume** (docs/autobid.md §The noise floor): at the optimum the ROI constraint is tight,
   so the realized ROI misses ``R`` half the time; the remaining noise of the final ROI is about
   ``cv·√N_future / N_total`` (``cv ≈ 1.1`` for Bernoulli orders times log-normal order values), so
   ``aim_t = R · (1 + margin + max(margin_floor, z · cv · √N_future / N_total))``: large for new products, near
   zero for hot ones, and shrinking toward the end of the run as less noise is left to come.
5. **A cautious start**: the first bid is ``v̂ / aim`` (the ``fixed`` bidder), and until the first order the
   volume margin is ``start_margin``.
6. **A priced miss** (optional, ``miss_price = λ``): instead of the hard constraint of step 3, the multiplier
   maximises ``E[GMV(k)] / GMV(k_R) − λ · P(realized ROI < aim | k)``, the Lagrangian of "most GMV subject to
   P(miss) ≤ α" (a chance constraint; cf. Feng, Padmanabhan & Wang 2023, who keep the ROI constraint in
   expectation). ``GMV(k_R)`` is the expected GMV of the hard-constrained multiplier (the bidder's estimate of its
   attainable ceiling), the realized past GMV is known and the rest is normal with the order noise
   ``cv·√(ā·V_fut(k))`` and the calibration error ``V_fut(k)·cv/√(orders + prior_orders)``. A miss then costs
   ``λ`` times the feasible GMV: with many orders ``P`` falls steeply just above the target, so the bidder keeps a
   margin of a couple of noise widths (cheap at volume: the noise floor); with few orders ``P`` barely moves with
   ``k`` and the GMV term wins. Sweeping ``λ`` traces the bidder's GMV–violation frontier (docs/autobid.md §Metrics); ``None``
   (the default) keeps the hard constraint.

Price shocks and diurnal price swings are part of the week's mixture that the single multiplier is optimal for,
so the log is kept over the whole horizon.
"""

from __future__ import annotations

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.bidders._base import (
    BaseBidder,
    check_non_negative,
    check_whole,
    register_bidder,
)
from siyu.autobid.bidders.pacing import TrafficCurve

__all__ = ["SiyuBidder"]

_LO, _HI, _W = -16.0, 16.0, 0.01  # log-range and width of the histogram of p/v̂ (covers any value scale)
_NB = int((_HI - _LO) / _W)
_BAND = 25  # fine bins per calibration band (0.25 in log p/v̂)
#: channel codes must be below this (they are mapped to dense indices, so large codes cost nothing)
MAX_CODE = 1 << 20


def _bin(x: np.ndarray) -> np.ndarray:
    return np.clip(((np.log(np.maximum(x, 1e-300)) - _LO) / _W).astype(np.int64), 0, _NB - 1)


@register_bidder("siyu")
class SiyuBidder(BaseBidder):
    """siyu's ROI-targeted multi-channel bidder (see the module docstring).

    Parameters
    ----------
    target_roi, budget, n_steps
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    margin : float, default 0.0
        Extra risk margin on top of the volume margin (the frontier knob).
    z : float, default 0.0
        Standard deviations of the remaining order noise covered by the volume margin (0: aim at the target
        itself; on tier A a volume margin costs far more GMV on low-volume runs than it saves in ROI misses).
    cv : float, default 1.1
        Coefficient of variation of one order's GMV (Bernoulli × log-normal order value).
    margin_floor : float, default 0.0
        Lower bound of the volume margin.
    start_margin : float, default 0.0
        Volume margin before the first order is seen.
    prior_orders : float, default 100.0
        Weight of the calibration prior, in orders. A weak prior (10) lets a few unlucky early orders drag the
        calibration down, the bids with it, and a low-volume run then stops winning (and learning) for days.
    explore : float, optional
        Largest relative rise of the multiplier per step (and the exploration step beyond the highest one used);
        default ``max(0.03, 7 / n_steps)`` (a doubling within about a tenth of a short episode).
    max_drop : float, default 0.1
        Largest relative fall of the multiplier per step.
    period : int, optional
        Steps a day for the traffic curve (default: 96 when the episode spans two days or more).
    repay : float, default 0.5
        Share of the horizon over which a past ROI deficit or surplus is repaid at the latest: with a share ``f``
        of the traffic still to come the past slack counts ``min(1, f / repay)`` in the re-solve (0: all of it,
        always). Repaying the noise of the realized GMV in full over a short rest of the run makes the multiplier
        jump late, and since the GMV–ROI curve is flat near the optimum that costs far more GMV than the ROI it
        wins back.
    miss_price : float, optional
        ``λ`` of step 6: the price of a missed target in units of the feasible GMV (0.5: miss only when that buys
        half as much GMV again). ``None`` (default): the hard constraint of step 3.
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0, z: float = 0.0,
                 cv: float = 1.1, margin_floor: float = 0.0, start_margin: float = 0.0, prior_orders: float = 100.0,
                 explore: float | None = None, max_drop: float = 0.1, period: int | None = None,
                 repay: float = 0.5, miss_price: float | None = None) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        check_non_negative(z=z, cv=cv, margin_floor=margin_floor, start_margin=start_margin,
                           prior_orders=prior_orders, explore=0.0 if explore is None else explore, repay=repay)
        if period is not None:
            check_whole("period", period, 1)
        if miss_price is not None:
            check_non_negative(miss_price=miss_price)
        self.miss_price = None if miss_price is None else float(miss_price)
        self.z, self.cv, self.margin_floor, self.start_margin = float(z), float(cv), float(margin_floor), \
            float(start_margin)
        self.prior_orders = float(prior_orders)
        self.repay = float(repay)
        self.explore = max(0.03, 7.0 / n_steps) if explore is None else float(explore)
        if not (np.isfinite(max_drop) and 0 < max_drop <= 1):
            raise ConfigError(f"max_drop must be in (0, 1], got {max_drop!r}")
        self.max_drop = float(max_drop)
        self.curve_ = TrafficCurve(n_steps, period)
        self.k_ = 1.0 / self.aim           # multiplier on calibrated value
        self.aim_t_ = self.aim * (1.0 + start_margin)
        self._nch = 0
        self._lut = np.zeros(0, np.int64)   # channel code -> dense index (-1: not seen yet)
        self._nseen = 0
        self._grow(1)
        self._order_values = 0.0
        self._n_fut_orders = np.nan

    # -- state ----------------------------------------------------------------------------------------------------
    def _grow(self, nch: int) -> None:
        """Widen the per-channel state to ``nch`` channels (new channels start empty, calibration 1)."""
        if nch <= self._nch:
            return
        # per bin of p/v̂ and channel: Σ price, Σ v̂ and Σ realized GMV of wins; impressions exposed at the bin of
        # the raw multiplier used. Per channel: orders, impressions seen, Σ v̂ and Σ realized GMV of wins, the
        # highest multiplier bin used (-1: none) and the calibration.
        for name, shape, fill in (("_hp", (_NB, nch), 0.0), ("_hv", (_NB, nch), 0.0), ("_hg", (_NB, nch), 0.0),
                                  ("_ex", (_NB, nch), 0.0), ("_orders_ch", (nch,), 0.0), ("_n", (nch,), 0.0),
                                  ("_vwon", (nch,), 0.0), ("_gwon", (nch,), 0.0), ("_mbin", (nch,), -1),
                                  ("c_", (nch,), 1.0)):
            out = np.full(shape, fill)
            old = getattr(self, name, None)
            if old is not None:
                out[tuple(slice(0, n) for n in old.shape)] = old
            setattr(self, name, out)
        self._nch = nch

    def _dense(self, step: int, channels: np.ndarray) -> np.ndarray:
        """Channel codes as dense indices 0, 1, … in order of first sight (any non-negative codes below
        :data:`MAX_CODE`; the state is sized by the number of channels seen, not by the largest code)."""
        if not channels.size:
            return channels
        lo, hi = int(channels.min()), int(channels.max())
        if lo < 0 or hi >= MAX_CODE:
            raise ConfigError(f"step {step}: channel codes must be integers in [0, {MAX_CODE}), got {lo}..{hi}")
        if hi >= len(self._lut):
            self._lut = np.concatenate([self._lut, np.full(hi + 1 - len(self._lut), -1, np.int64)])
        idx = self._lut[channels]
        if (idx < 0).any():
            new = np.unique(channels[idx < 0])
            self._lut[new] = np.arange(self._nseen, self._nseen + len(new))
            self._nseen += len(new)
            self._grow(self._nseen)
            idx = self._lut[channels]
        return idx

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        channels = self._dense(step, channels)
        return self.k_ * self.c_[channels] * values

    # -- learning -------------------------------------------------------------------------------------------------
    def _update(self, step, won, cost, gmv, values, channels) -> None:
        self.curve_.add(step, len(won))
        if len(won) == 0 or len(values) != len(won):
            self._solve(step)
            return
        channels = self._dense(step, channels)
        nch = self._nch
        n_ch = np.bincount(channels, minlength=nch).astype(float)
        raw = self.k_ * self.c_
        mb = _bin(raw)
        present = n_ch > 0
        self._ex[mb[present], np.flatnonzero(present)] += n_ch[present]
        self._mbin[present] = np.maximum(self._mbin[present], mb[present])
        self._n += n_ch
        w = won & (values > 0)
        if w.any():
            ch, v, p = channels[w], values[w], cost[w]
            idx = _bin(p / v) * nch + ch
            self._hp += np.bincount(idx, weights=p, minlength=_NB * nch).reshape(_NB, nch)
            self._hv += np.bincount(idx, weights=v, minlength=_NB * nch).reshape(_NB, nch)
            self._hg += np.bincount(idx, weights=gmv[w], minlength=_NB * nch).reshape(_NB, nch)
            self._orders_ch += np.bincount(ch, weights=(gmv[w] > 0).astype(float), minlength=nch)
            self._vwon += np.bincount(ch, weights=v, minlength=nch)
            self._gwon += np.bincount(channels[won], weights=gmv[won], minlength=nch)
        self._order_values += float(gmv[gmv > 0].sum())
        self._calibrate()
        self._solve(step)

    def _calibrate(self) -> None:
        if self.orders == 0:
            return
        prior = self.prior_orders * self._order_values / self.orders   # m·ā, in GMV units
        g, v = self._gwon.sum(), self._vwon.sum()
        pooled = (g + prior) / (v + prior)
        self.c_ = (self._gwon + prior * pooled) / (self._vwon + prior)

    def _solve(self, step: int) -> None:
        if self._n.sum() <= 0:
            return
        fut_imps = self.curve_.future(step)
        share = self._n / self._n.sum()
        f_ch = fut_imps * share
        # per-impression spend and (raw) value densities per bin, by inverse exposure
        expo = np.cumsum(self._ex[::-1], axis=0)[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            dp = np.where(expo > 0, self._hp / expo, 0.0)
            dv = np.where(expo > 0, self._hv / expo, 0.0)
        cp = np.vstack([np.zeros((1, self._nch)), np.cumsum(dp, axis=0)])   # cp[b+1] = Σ_{≤b}
        # value curve: predicted value times a calibration per coarse band of p/v̂ (the winner's curse grows toward
        # the margin), shrunk toward the channel's ratio with the prior worth prior_orders orders
        wt = self._orders_ch / (self._orders_ch + self.prior_orders) if self.prior_orders > 0 \
            else np.ones(self._nch)
        aov = self._order_values / self.orders if self.orders else 0.0
        band_g = self._hg.reshape(_NB // _BAND, _BAND, self._nch).sum(axis=1)
        band_v = self._hv.reshape(_NB // _BAND, _BAND, self._nch).sum(axis=1)
        if aov > 0:
            prior = self.prior_orders * aov
            ratio = (band_g + prior * self.c_) / (band_v + prior)
        else:
            ratio = np.broadcast_to(self.c_, band_g.shape)
        dval = np.repeat(ratio, _BAND, axis=0) * dv
        cv = np.vstack([np.zeros((1, self._nch)), np.cumsum(dval, axis=0)])
        # candidate multipliers on calibrated value: k_j = exp(_LO + (j + 1)·_W); channel ch bids raw k_j·c_ch
        off = np.floor(np.log(np.maximum(self.c_, 1e-300)) / _W).astype(np.int64)
        j = np.arange(_NB)
        used = self._n > 0
        chs = np.flatnonzero(used)
        idx = np.clip(j[:, None] + off[None, chs], -1, _NB - 1) + 1
        s_fut = (cp[idx, chs] * f_ch[chs]).sum(axis=1)
        v_fut = (cv[idx, chs] * f_ch[chs]).sum(axis=1)
        j_known = int(np.min(self._mbin[chs] - off[chs]))
        j_known = min(max(j_known, 0), _NB - 1)

        g_past = float((wt * self._gwon + (1.0 - wt) * self.c_ * self._vwon).sum())
        aov = self._order_values / self.orders if self.orders else np.nan
        if self.orders and aov > 0:
            n_fut = max(self._n_fut_orders, 0.0) if np.isfinite(self._n_fut_orders) else 0.0
            vol = self.z * self.cv * np.sqrt(n_fut) / max(self.orders + n_fut, 1.0)
            vol = max(self.margin_floor, vol)
        else:
            vol = self.start_margin
        aim_t = self.target_roi * (1.0 + self.margin + vol)
        self.aim_t_ = aim_t

        past = g_past - aim_t * self.spent
        if self.repay > 0:
            n_seen = float(self._n.sum())
            frac = fut_imps / max(fut_imps + n_seen, 1e-12)
            past *= min(1.0, frac / self.repay)
        slack = past + v_fut - aim_t * s_fut
        ok = slack >= 0
        if np.isfinite(self.budget):
            ok &= s_fut <= self.remaining
        ok[j_known + 1:] = False
        if self.miss_price is not None and self.orders and aov > 0:
            jj, edge = self._priced(v_fut, s_fut, ok, slack, j_known, aov)
            k = np.exp(_LO + (jj + 1) * _W) * ((1.0 + self.explore) if edge else 1.0)
        elif ok[j_known] and j_known == _NB - 1 or not ok.any():
            # ROI out of reach: the multiplier that repays most of the deficit (the largest one among ties)
            jj = j_known - int(np.argmax(slack[:j_known + 1][::-1])) if not ok.any() else j_known
            k = np.exp(_LO + (jj + 1) * _W)
        elif ok[j_known]:
            k = np.exp(_LO + (j_known + 1) * _W) * (1.0 + self.explore)
            jj = j_known
        else:
            jj = int(np.flatnonzero(ok)[-1])
            k = np.exp(_LO + (jj + 1) * _W)
        self.k_ = float(np.clip(k, self.k_ * (1.0 - self.max_drop), self.k_ * (1.0 + self.explore)))
        if self.orders and aov > 0:
            self._n_fut_orders = float(v_fut[jj]) / aov

    def _priced(self, v_fut: np.ndarray, s_fut: np.ndarray, ok: np.ndarray, slack: np.ndarray, j_known: int,
                aov: float) -> tuple[int, bool]:
        """Step 6: the multiplier index maximising ``GMV / GMV(k_R) − λ·P(miss)``, and whether it is the highest
        one known (then the bidder explores upward)."""
        from scipy.special import ndtr

        n = j_known + 1
        v, s = v_fut[:n], s_fut[:n]
        gmv = self.gmv + v                                   # expected final realized GMV
        spend = self.spent + s
        sd = np.sqrt(self.cv ** 2 * aov * v + (v * self.cv) ** 2 / (self.orders + self.prior_orders))
        aim = self.target_roi * (1.0 + self.margin)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_miss = np.where(sd > 0, ndtr((aim * spend - gmv) / np.maximum(sd, 1e-300)),
                              (gmv < aim * spend).astype(float))
        fits = s <= self.remaining if np.isfinite(self.budget) else np.ones(n, bool)
        feasible = ok[:n]                                    # the hard constraint (budget included)
        # the feasible GMV: at the hard-constrained multiplier, or at the best ROI when none is feasible
        ref = float(gmv[np.flatnonzero(feasible)[-1]] if feasible.any() else gmv[int(np.argmax(slack[:n]))])
        score = gmv / max(ref, 1e-12) - self.miss_price * p_miss
        score[~fits] = -np.inf
        if not np.isfinite(score).any():
            return 0, False
        jj = int(n - 1 - np.argmax(score[::-1]))             # the largest among ties
        return jj, jj == j_known  # a finite score means jj fits the budget
