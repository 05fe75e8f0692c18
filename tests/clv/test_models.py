"""The CLV model core: published values, a reference implementation, simulated truth, and the estimator contract.

Golden numbers from outside:

* CDNOW 1/10 sample (2,357 customers, 39-week calibration): BG/NBD and Pareto/NBD of Fader, Hardie & Lee (2005),
  "Counting Your Customers the Easy Way", *Marketing Science* 24(2); Gamma-Gamma of Fader, Hardie & Lee (2005),
  "RFM and CLV: Using Iso-Value Curves", *JMR* 42(4).
* The 1995 donor cohort (11,104 donors, 6 yearly opportunities) of Fader, Hardie & Shang (2010), *Marketing
  Science* 29(6), for BG/BB: its 22 distinct ``(x, t_x, n)`` with counts, as distributed with ``lifetimes``.
* ``lifetimes`` 0.11.3, run once outside the project on the same data (its fitted parameters and log-likelihood,
  and its predictions at those parameters, are copied below).
* Data simulated from each model's generative process with known parameters (``conftest.py``).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln

from siyu._exceptions import ConfigError, InsufficientDataError, NotFittedError
from siyu.clv import bgbb, bgnbd, gamma_gamma, mbgnbd, pnbd
from siyu.clv.bgbb import BetaGeoBetaBinom
from siyu.clv.bgnbd import BetaGeo
from siyu.clv.gamma_gamma import GammaGamma
from siyu.clv.mbgnbd import ModifiedBetaGeo
from siyu.clv.pnbd import ParetoNBD

from .conftest import sim_bgbb, sim_bgnbd, sim_gamma_gamma, sim_pnbd

PURCHASE_MODELS = [BetaGeo, ParetoNBD, ModifiedBetaGeo]
ALL_MODELS = [BetaGeo, ParetoNBD, ModifiedBetaGeo, BetaGeoBetaBinom, GammaGamma]
KEYS = {BetaGeo: ("r", "alpha", "a", "b"), ParetoNBD: ("r", "alpha", "s", "beta"),
        ModifiedBetaGeo: ("r", "alpha", "a", "b"), BetaGeoBetaBinom: ("alpha", "beta", "gamma", "delta"),
        GammaGamma: ("p", "q", "v")}

#: FHS 2010's donor cohort: (x, t_x, n = 6) and number of donors.
DONATIONS = np.array([
    (0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119), (1, 6, 129), (2, 2, 613),
    (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234), (3, 3, 322), (3, 4, 181), (3, 5, 225), (3, 6, 357),
    (4, 4, 240), (4, 5, 284), (4, 6, 512), (5, 5, 335), (5, 6, 728), (6, 6, 1203)], dtype=np.float64)


def donations() -> tuple[dict, np.ndarray]:
    return ({"frequency": DONATIONS[:, 0], "recency": DONATIONS[:, 1], "T": np.full(len(DONATIONS), 6.0)},
            DONATIONS[:, 2])


def with_params(cls, params: dict):
    """A model carrying given parameters (to evaluate the formulas at a known truth)."""
    model = cls()
    model.params_ = dict(params)
    return model


def values(d: dict) -> np.ndarray:
    return np.array(list(d.values()))


# ---------------------------------------------------------------------------------------------------------------
# 1. published values
# ---------------------------------------------------------------------------------------------------------------

def test_cdnow_summary_matches_the_paper(cdnow):
    assert len(cdnow["T"]) == 2357
    assert int((cdnow["frequency"] > 0).sum()) == 946        # repeat buyers in calibration (iso-value paper)
    assert cdnow["T"].max() == pytest.approx(272 / 7)         # first purchase 1997-01-01 → T = 38.86 weeks
    assert cdnow["T"].min() == pytest.approx(189 / 7)         # the latest first purchase, 1997-03-25


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow):
    m = BetaGeo().fit(cdnow)
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert m.params_[k] == pytest.approx(v, abs=6e-4), k
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert m.converged_ and m.n_customers_ == 2357
    # the paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks
    one = {"frequency": [2], "recency": [30.43], "T": [38.86]}
    assert m.expected_purchases(39, one)[0] == pytest.approx(1.226, abs=6e-4)


def test_pareto_nbd_reproduces_fader_hardie_lee_2005(cdnow):
    m = ParetoNBD().fit(cdnow)
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert m.params_[k] == pytest.approx(v, abs=6e-4), k
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_reproduces_the_iso_value_paper(cdnow):
    """p = 6.25, q = 3.74, γ = 15.44 with monetary = mean value of the repeat purchase *days* (a day's purchases
    summed, the first purchase day excluded); the mean over repeat *orders* gives p = 6.08, q = 3.87, γ = 16.25."""
    m = GammaGamma().fit(cdnow)
    assert m.n_customers_ == 946  # repeat buyers only
    for k, v in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert m.params_[k] == pytest.approx(v, abs=6e-3), k
    assert m.population_mean_spend() == pytest.approx(m.params_["p"] * m.params_["v"] / (m.params_["q"] - 1))


def test_bgbb_reproduces_fader_hardie_shang_2010():
    summary, counts = donations()
    m = BetaGeoBetaBinom().fit(summary, weights=counts)
    for k, v in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert m.params_[k] == pytest.approx(v, abs=6e-4), k
    assert m.log_likelihood_ == pytest.approx(-33225.6, abs=0.1)
    assert m.n_customers_ == 11104 and m.n_distinct_ == 22


# ---------------------------------------------------------------------------------------------------------------
# 4. the reference implementation: lifetimes 0.11.3 (numpy 1.26, scipy 1.11) on the same data
# ---------------------------------------------------------------------------------------------------------------

QUERY = {"frequency": [0, 2, 10, 1], "recency": [0, 30.43, 35.0, 2.0], "T": [38.86, 38.86, 38.0, 30.0]}
LIFETIMES = {
    BetaGeo: {
        "params": {"r": 0.24259454342106715, "alpha": 4.413602716077376, "a": 0.7929218333479305,
                   "b": 2.4259057287219736},
        "ll": -9582.429206673936, "se": [0.012557379181029437, 0.3782241012650526, 0.18573374969725945,
                                         0.7054138496772997],
        "cond39": [0.19478204751906775, 1.2259068098148296, 6.447904272471604, 0.3205561447359183],
        "p_alive": [1.0, 0.7266091487652471, 0.8717516879351982, 0.2750077941505851],
        "uncond": [0.053184287692825, 1.1950099744790132, 1.857958317009308],
        "pmf39": [0.5743071606916326, 0.1991925431380066, 0.08532292342736199, 0.045797557536020564,
                  0.02763141213870494]},
    ParetoNBD: {
        "params": {"r": 0.5532637692419738, "alpha": 10.577486716958429, "s": 0.6062536156367705,
                   "beta": 11.669231777879826},
        "ll": -9594.976178993653,
        "cond39": [0.10705726527224514, 1.4550909328339885, 6.658031520735853, 0.301737346664674],
        "p_alive": [0.2950980579444729, 0.8691142867576583, 0.9478526301205319, 0.2507342875586127],
        "uncond": [0.051006124592890355, 1.213400157291981, 1.9098566190540311]},
    ModifiedBetaGeo: {
        "params": {"r": 0.524842903149542, "alpha": 6.183081764398925, "a": 0.8913595172713142,
                   "b": 1.6140029311987032},
        "ll": -9582.135715553766, "se": [0.083268088678543, 0.6956199090360291, 0.15478993801752425,
                                         0.5374947939557148],
        "cond39": [0.15395427693318486, 1.26266922025006, 6.155525389821102, 0.3096173944842052],
        "p_alive": [0.38971518607274275, 0.706125699315964, 0.8614243412822509, 0.2331116644930044],
        "uncond": [0.05306033265260279, 1.1822798470837992, 1.80363051803271],
        "pmf39": [0.5826050537745038, 0.18276393736096186, 0.08687084130258795, 0.04855081580223251,
                  0.02975900904398309]},
    GammaGamma: {
        "params": {"p": 6.249572277636442, "q": 3.744224674758189, "v": 15.44352101836027},
        "ll": -4055.917694801871, "se": [1.1900553463985657, 0.290133067593518, 4.1594228022124575],
        "spend": [35.170371330454074, 24.653918713234937, 39.61009788748043]},
    BetaGeoBetaBinom: {
        "params": {"alpha": 1.2035223936080475, "beta": 0.7497163581757659, "gamma": 0.6567181695499289,
                   "delta": 2.783441982887471},
        "ll": -33225.58127434616,
        "cond5": [0.07286333894085008, 1.0576035461104811, 3.7525442466077794],
        "p_alive": [0.10813327510958085, 0.5896571890792989, 0.9304335775086972],
        "pmf6_counts": [3454.8819794154465, 1888.6543427566207, 1348.8823303701429, 1113.3785332814384,
                        1017.9224125512292, 1027.16604903403, 1253.1143525910863]},
}


def _reference_data(cls, cdnow):
    if cls is BetaGeoBetaBinom:
        s, counts = donations()
        return s, counts, (s["frequency"], s["recency"], s["T"], counts)
    if cls is GammaGamma:
        rep = cdnow["frequency"] > 0
        x, m = cdnow["frequency"][rep], cdnow["monetary"][rep]
        return cdnow, None, (x, m, np.ones(len(x)))
    return cdnow, None, (cdnow["frequency"], cdnow["recency"], cdnow["T"], np.ones(len(cdnow["T"])))


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
def test_log_likelihood_equals_lifetimes_at_its_optimum(cls, cdnow):
    ref = LIFETIMES[cls]
    summary, weights, data = _reference_data(cls, cdnow)
    ll_at_ref = LOGLIKS[cls](np.log(values(ref["params"])), *data)[0]
    assert ll_at_ref == pytest.approx(ref["ll"], rel=1e-9)
    m = cls().fit(summary, weights=weights)
    assert m.log_likelihood_ >= ref["ll"] - 1e-7 * abs(ref["ll"])          # never a worse optimum
    assert m.log_likelihood_ == pytest.approx(ref["ll"], rel=1e-6)
    assert values(m.params_) == pytest.approx(values(ref["params"]), rel=2e-4)
    if "se" in ref:  # lifetimes: autograd Hessian in log space + delta method; here central differences
        assert values(m.standard_errors_) == pytest.approx(ref["se"], rel=1e-4)


@pytest.mark.parametrize("cls", PURCHASE_MODELS, ids=lambda c: c.__name__)
def test_predictions_equal_lifetimes(cls):
    ref = LIFETIMES[cls]
    m = with_params(cls, ref["params"])
    assert m.expected_purchases(39, QUERY) == pytest.approx(ref["cond39"], rel=1e-9)
    assert m.p_alive(QUERY) == pytest.approx(ref["p_alive"], rel=1e-9)
    assert m.expected_purchases_unconditional([1.0, 39.0, 78.0]) == pytest.approx(ref["uncond"], rel=1e-9)
    if "pmf39" in ref:
        assert m.probability_of_n_purchases(np.arange(5), 39.0) == pytest.approx(ref["pmf39"], rel=1e-9)


def test_bgbb_and_gamma_gamma_predictions_equal_lifetimes():
    ref = LIFETIMES[BetaGeoBetaBinom]
    m = with_params(BetaGeoBetaBinom, ref["params"])
    q = {"frequency": [0, 2, 6], "recency": [0, 4, 6], "T": [6, 6, 6]}
    assert m.expected_purchases(5, q) == pytest.approx(ref["cond5"], rel=1e-9)
    assert m.p_alive(q) == pytest.approx(ref["p_alive"], rel=1e-9)
    assert 11104 * m.probability_of_n_purchases(np.arange(7), 6) == pytest.approx(ref["pmf6_counts"], rel=1e-9)
    ref = LIFETIMES[GammaGamma]
    g = with_params(GammaGamma, ref["params"])
    spend = g.expected_spend({"frequency": [0, 2, 5], "monetary": [0.0, 22.345, 40.0]})
    assert spend == pytest.approx(ref["spend"], rel=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# 2. recovery of known parameters from simulated data
# ---------------------------------------------------------------------------------------------------------------

def _assert_recovers(model, truth: dict, k: float = 4.0) -> None:
    """|estimate − truth| < k · SE for every parameter (k = 4: a false alarm about once in 4,000 parameters)."""
    se = model.standard_errors_
    for name, true in truth.items():
        assert np.isfinite(se[name]) and 0 < se[name] < 0.5 * true, (name, se[name])
        assert abs(model.params_[name] - true) < k * se[name], (name, model.params_[name], true, se[name])


def test_bgnbd_recovers_simulated_parameters():
    rng = np.random.default_rng(11)
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    s, _ = sim_bgnbd(rng, 100_000, *truth.values(), T=rng.uniform(5, 52, 100_000))
    m = BetaGeo().fit(s)
    assert m.converged_ and m.n_distinct_ == 100_000
    _assert_recovers(m, truth)


def test_modified_bgnbd_recovers_simulated_parameters():
    rng = np.random.default_rng(12)
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    s, _ = sim_bgnbd(rng, 100_000, *truth.values(), T=rng.uniform(5, 52, 100_000), modified=True)
    _assert_recovers(ModifiedBetaGeo().fit(s), truth)


def test_pareto_nbd_recovers_simulated_parameters():
    """α < β and α ≥ β exercise both branches of the hypergeometric form."""
    for seed, truth in ((13, {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 12.0}),
                        (14, {"r": 1.2, "alpha": 20.0, "s": 0.5, "beta": 4.0})):
        rng = np.random.default_rng(seed)
        s, _ = sim_pnbd(rng, 30_000, *truth.values(), T=np.round(rng.uniform(5, 52, 30_000) * 7) / 7)
        _assert_recovers(ParetoNBD().fit(s), truth)


def test_bgbb_recovers_simulated_parameters_and_its_standard_errors_are_right():
    """Twelve replications: each within 4 SE, and the spread of the estimates matches the reported SEs (the
    standard deviation of 12 draws is within a factor 0.55–1.6 of the truth with probability > 0.99)."""
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    est, ses = [], []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        s, _ = sim_bgbb(rng, 50_000, *truth.values(), n_opp=rng.integers(6, 11, 50_000))
        m = BetaGeoBetaBinom().fit(s)
        _assert_recovers(m, truth, k=4.5)
        est.append(values(m.params_))
        ses.append(values(m.standard_errors_))
    ratio = np.std(est, axis=0, ddof=1) / np.mean(ses, axis=0)
    assert np.all((ratio > 0.55) & (ratio < 1.6)), ratio


def test_bgnbd_standard_errors_match_the_spread_of_estimates():
    """z-scores of 8 replications × 4 parameters: mean z² near 1 (chi²₃₂/32 lies in [0.45, 1.75] with p > 0.99,
    ignoring the correlation of parameters within a replication, hence the wider band)."""
    truth = np.array([0.5, 5.0, 0.8, 2.5])
    z = []
    for seed in range(8):
        rng = np.random.default_rng(200 + seed)
        s, _ = sim_bgnbd(rng, 20_000, *truth, T=rng.uniform(5, 52, 20_000))
        m = BetaGeo().fit(s)
        z.append((values(m.params_) - truth) / values(m.standard_errors_))
    z2 = float(np.mean(np.square(z)))
    assert 0.3 < z2 < 2.2, z2


def test_gamma_gamma_recovers_simulated_parameters():
    rng = np.random.default_rng(15)
    truth = {"p": 6.0, "q": 3.8, "v": 15.0}
    s = sim_gamma_gamma(rng, 100_000, *truth.values())
    s["frequency"][:1000] = 0  # non-repeat buyers are ignored
    m = GammaGamma().fit(s)
    assert m.n_customers_ == 99_000
    _assert_recovers(m, truth)


# ---------------------------------------------------------------------------------------------------------------
# predictions against the generative process (at the true parameters)
# ---------------------------------------------------------------------------------------------------------------

def _close_in_mean(predicted: np.ndarray, actual: np.ndarray, k: float = 4.5) -> None:
    """Mean of actual − predicted is 0 within k standard errors (the predictions are conditional expectations)."""
    d = actual - predicted
    assert abs(d.mean()) <= k * d.std() / np.sqrt(len(d)) + 1e-12, (d.mean(), d.std() / np.sqrt(len(d)))


CONTINUOUS = [
    (BetaGeo, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, lambda rng, n, p, T, h: sim_bgnbd(rng, n, *p, T, h)),
    (ModifiedBetaGeo, {"r": 0.5, "alpha": 5.0, "a": 1.4, "b": 2.5},
     lambda rng, n, p, T, h: sim_bgnbd(rng, n, *p, T, h, modified=True)),
    (ParetoNBD, {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 12.0}, lambda rng, n, p, T, h: sim_pnbd(rng, n, *p, T, h)),
]


@pytest.mark.parametrize("cls,truth,sim", CONTINUOUS, ids=lambda v: getattr(v, "__name__", ""))
def test_conditional_predictions_match_simulated_holdout(cls, truth, sim):
    rng = np.random.default_rng(21)
    n = 100_000
    s, hidden = sim(rng, n, tuple(truth.values()), rng.uniform(5, 52, n), 26.0)
    m = with_params(cls, truth)
    pred = m.expected_purchases(26.0, s)
    alive = m.p_alive(s)
    for group in (s["frequency"] == 0, s["frequency"] == 1, s["frequency"] >= 2):
        _close_in_mean(pred[group], hidden["holdout"][group])
        _close_in_mean(alive[group], hidden["alive"][group].astype(float))


@pytest.mark.parametrize("cls,truth,sim", CONTINUOUS, ids=lambda v: getattr(v, "__name__", ""))
def test_unconditional_predictions_match_simulated_counts(cls, truth, sim):
    rng = np.random.default_rng(22)
    n, t = 200_000, 30.0
    s, _ = sim(rng, n, tuple(truth.values()), np.full(n, t), 0.0)
    m = with_params(cls, truth)
    pmf = m.probability_of_n_purchases(np.arange(6), t)
    counts = np.bincount(s["frequency"].astype(int), minlength=6)[:6]
    assert np.all(np.abs(counts - n * pmf) < 5 * np.sqrt(n * pmf * (1 - pmf))), (counts, n * pmf)
    _close_in_mean(np.full(n, m.expected_purchases_unconditional(t)), s["frequency"])
    ns = np.arange(400)
    full = m.probability_of_n_purchases(ns, t)
    assert full.sum() == pytest.approx(1.0, abs=1e-4)
    assert (ns * full).sum() == pytest.approx(m.expected_purchases_unconditional(t), rel=1e-3)


def test_bgbb_predictions_match_simulation():
    rng = np.random.default_rng(23)
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    n = 100_000
    s, hidden = sim_bgbb(rng, n, *truth.values(), n_opp=rng.integers(6, 11, n), holdout=5)
    m = with_params(BetaGeoBetaBinom, truth)
    _close_in_mean(m.expected_purchases(5, s), hidden["holdout"])
    _close_in_mean(m.p_alive(s), hidden["alive"].astype(float))
    s6, _ = sim_bgbb(rng, n, *truth.values(), n_opp=np.full(n, 6))
    pmf = m.probability_of_n_purchases(np.arange(7), 6)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    counts = np.bincount(s6["frequency"].astype(int), minlength=7)
    assert np.all(np.abs(counts - n * pmf) < 5 * np.sqrt(n * pmf * (1 - pmf)))
    assert (np.arange(7) * pmf).sum() == pytest.approx(m.expected_purchases_unconditional(6), rel=1e-12)


def test_pareto_nbd_pmf_and_likelihood_equal_numerical_integration():
    """FH 2006's P(X(t)=x) and the transformed likelihood against quadrature of their integral definitions."""
    for params in ((0.55, 10.6, 0.6, 11.7), (0.8, 3.0, 1.7, 40.0)):  # α < β and α ≥ β branches
        r, alpha, s, beta = params
        m = with_params(ParetoNBD, dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
        for x, t in ((0, 5.0), (1, 20.0), (4, 39.0)):
            def nb(u, x=x, r=r, alpha=alpha):
                return np.exp(gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(alpha / (alpha + u))
                              + x * np.log(u / (alpha + u)))
            dead = quad(lambda u, nb=nb, s=s, beta=beta: nb(u) * s * beta ** s / (beta + u) ** (s + 1), 0, t,
                        epsabs=0, epsrel=1e-12)[0]
            ref = nb(t) * (beta / (beta + t)) ** s + dead
            assert m.probability_of_n_purchases(x, t) == pytest.approx(ref, rel=1e-8)
        x, t_x, T = np.array([0.0, 1, 5, 20]), np.array([0.0, 3, 20, 38]), np.array([39.0, 39, 39, 39])
        ll = pnbd.loglik(np.log(params), x, t_x, T, np.ones(4))[0]
        ref = 0.0
        for xi, ti, Ti in zip(x, t_x, T, strict=True):
            def integrand(u, xi=xi, r=r, alpha=alpha, s=s, beta=beta):
                return (alpha + u) ** -(r + xi) * (beta + u) ** -(s + 1)
            tail = quad(integrand, ti, Ti, epsabs=0, epsrel=1e-13)[0]
            ref += (gammaln(r + xi) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                    + np.log((alpha + Ti) ** -(r + xi) * (beta + Ti) ** -s + s * tail))
        assert ll == pytest.approx(ref, rel=1e-11)


# ---------------------------------------------------------------------------------------------------------------
# 3. the estimator contract and the mechanics
# ---------------------------------------------------------------------------------------------------------------

def _small(cls):
    """A small dataset for ``cls`` (summary, weights) and its likelihood's columns."""
    rng = np.random.default_rng(5)
    if cls is BetaGeoBetaBinom:
        s, _ = sim_bgbb(rng, 3000, 1.2, 0.75, 0.66, 2.8, n_opp=rng.integers(3, 8, 3000))
        return s, (s["frequency"], s["recency"], s["T"])
    if cls is GammaGamma:
        s = sim_gamma_gamma(rng, 3000, 6.0, 3.8, 15.0)
        return s, (s["frequency"], s["monetary"])
    s, _ = (sim_pnbd if cls is ParetoNBD else sim_bgnbd)(rng, 3000, 0.6, 6.0, 0.8, 2.5,
                                                         T=np.round(rng.uniform(1, 40, 3000)))
    s["recency"] = np.round(s["recency"] * 7) / 7
    return s, (s["frequency"], s["recency"], s["T"])


LOGLIKS = {BetaGeo: bgnbd.loglik, ParetoNBD: pnbd.loglik, ModifiedBetaGeo: mbgnbd.loglik,
           BetaGeoBetaBinom: bgbb.loglik, GammaGamma: gamma_gamma.loglik}


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
def test_analytic_gradient_equals_finite_differences(cls):
    _, data = _small(cls)
    loglik = LOGLIKS[cls]
    w = np.random.default_rng(1).integers(1, 4, len(data[0])).astype(float)
    starts = ([np.log([0.5, 3.0, 0.7, 2.0]), np.log([1.5, 20.0, 1.3, 0.6])] if cls is not GammaGamma
              else [np.log([4.0, 3.0, 10.0]), np.log([8.0, 1.5, 30.0])])
    for theta in starts:
        _, grad = loglik(theta, *data, w)
        h = 1e-6
        fd = np.array([(loglik(theta + h * e, *data, w)[0] - loglik(theta - h * e, *data, w)[0]) / (2 * h)
                       for e in np.eye(len(theta))])
        assert grad == pytest.approx(fd, rel=1e-6, abs=1e-4 * np.abs(fd).max())


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
def test_weighted_distinct_tuples_fit_like_the_expanded_rows(cls):
    s, _ = _small(cls)
    cols = list(s)
    stacked = np.column_stack([s[c] for c in cols])
    distinct, counts = np.unique(stacked, axis=0, return_counts=True)
    agg = {c: distinct[:, i] for i, c in enumerate(cols)}
    rows = cls().fit(s)
    weighted = cls().fit(agg, weights=counts)
    assert values(weighted.params_) == pytest.approx(values(rows.params_), rel=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(rows.log_likelihood_, rel=1e-10)
    assert weighted.n_customers_ == rows.n_customers_ and weighted.n_distinct_ == rows.n_distinct_
    doubled = cls().fit(agg, weights=2.0 * counts)  # twice the customers: same optimum, twice the likelihood
    assert values(doubled.params_) == pytest.approx(values(rows.params_), rel=1e-6)
    assert doubled.log_likelihood_ == pytest.approx(2 * rows.log_likelihood_, rel=1e-10)
    assert values(doubled.standard_errors_) == pytest.approx(values(rows.standard_errors_) / np.sqrt(2), rel=1e-4)


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
def test_estimator_contract(cls):
    s, _ = _small(cls)
    model = cls()
    assert model.get_params() == {"max_iter": 1000, "penalizer": 0.0, "tol": 1e-10}
    assert not [k for k in vars(model) if k.endswith("_")]
    methods = (["expected_spend"] if cls is GammaGamma
               else ["p_alive", "expected_purchases", "probability_of_n_purchases",
                     "expected_purchases_unconditional"])
    calls = {"expected_spend": (s,), "p_alive": (s,), "expected_purchases": (2.0, s),
             "probability_of_n_purchases": (1, 2.0), "expected_purchases_unconditional": (2.0,)}
    for name in methods:
        with pytest.raises(NotFittedError):
            getattr(model, name)(*calls[name])
    assert model.fit(s) is model
    assert tuple(model.params_) == KEYS[cls]
    assert tuple(model.standard_errors_) == KEYS[cls]
    assert isinstance(model.log_likelihood_, float) and model.log_likelihood_ < 0
    assert model.converged_ is True and model.n_customers_ == 3000
    assert 0 < model.n_distinct_ <= model.n_customers_
    assert model.covariance_.shape == (len(KEYS[cls]),) * 2
    for name in methods:
        assert np.all(np.isfinite(getattr(model, name)(*calls[name])))
    assert "penalizer=0.5" in repr(cls(penalizer=0.5))


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
def test_table_types_give_the_same_fit(cls):
    import pandas as pd
    import pyarrow as pa

    s, _ = _small(cls)
    ref = cls().fit(s)
    for summary in (pd.DataFrame(s), pa.table(s), pd.DataFrame(s).astype({"frequency": "int64"})):
        assert cls().fit(summary).params_ == ref.params_


@pytest.mark.parametrize("cls", PURCHASE_MODELS + [BetaGeoBetaBinom], ids=lambda c: c.__name__)
def test_predictions_are_monotone_and_bounded(cls):
    s, _ = _small(cls)
    m = cls().fit(s)
    horizons = [1, 2, 5, 10, 40] if cls is BetaGeoBetaBinom else [0.5, 1, 5, 20, 100]
    cum = np.stack([m.expected_purchases(t, s) for t in horizons])
    assert np.all(np.isfinite(cum)) and np.all(cum >= 0) and np.all(np.diff(cum, axis=0) > 0)
    assert np.all(m.expected_purchases(0, s) == pytest.approx(0.0, abs=1e-12))
    p = m.p_alive(s)
    assert np.all((p >= 0) & (p <= 1))
    e = m.expected_purchases_unconditional(np.array(horizons, dtype=float))
    assert np.all(np.diff(e) > 0) and e[0] > 0
    pmf = m.probability_of_n_purchases(np.arange(5)[:, None], np.array(horizons, dtype=float)[None, :])
    assert pmf.shape == (5, len(horizons)) and np.all((pmf >= 0) & (pmf <= 1))


def test_p_alive_orders_customers_sensibly(cdnow):
    """Recent buyers are likelier alive than lapsed ones. Under BG/NBD a customer without repeat purchases is alive
    for sure (drop-out happens only after a purchase), so there it is frequent lapsed buyers who score low; Pareto/NBD
    and MBG/NBD give a customer with no repeat purchase and a long T a low P(alive)."""
    q = {"frequency": [0, 0, 5, 5], "recency": [0, 0, 38, 5], "T": [2, 39, 39, 39]}
    bg = BetaGeo().fit(cdnow).p_alive(q)
    assert bg[0] == bg[1] == 1.0 and bg[2] > 0.8 > 0.01 > bg[3]
    for cls in (ParetoNBD, ModifiedBetaGeo):
        p = cls().fit(cdnow).p_alive(q)
        assert p[0] > p[1] and p[2] > p[1] and p[2] > p[3], (cls.__name__, p)


def test_gamma_gamma_shrinks_towards_the_population_mean(cdnow):
    m = GammaGamma().fit(cdnow)
    pop = m.population_mean_spend()
    spend = m.expected_spend({"frequency": [0, 1, 1, 20], "monetary": [0.0, 200.0, 5.0, 200.0]})
    assert spend[0] == pytest.approx(pop)
    assert 5.0 < spend[2] < pop < spend[1] < spend[3] < 200.0


def test_bad_input_raises_named_errors():
    good = {"frequency": [0, 1, 2], "recency": [0.0, 2.0, 3.0], "T": [4.0, 4.0, 4.0]}
    m = BetaGeo()
    for bad, words in (({**good, "recency": [0.0, 5.0, 3.0]}, "must not exceed T"),
                       ({**good, "recency": [1.0, 2.0, 3.0]}, "must be 0 when frequency is 0"),
                       ({**good, "frequency": [0, 1.5, 2]}, "whole number"),
                       ({**good, "T": [4.0, np.nan, 4.0]}, "finite"),
                       ({"frequency": [0, 1], "T": [1.0, 2.0]}, "no column 'recency'"),
                       ({**good, "frequency": [-1, 1, 2]}, "must be >= 0")):
        with pytest.raises(InsufficientDataError, match=words):
            m.fit(bad)
    with pytest.raises(InsufficientDataError, match="no customer has a repeat purchase"):
        m.fit({"frequency": [0, 0], "recency": [0, 0], "T": [3.0, 4.0]})
    with pytest.raises(InsufficientDataError, match="row 1"):
        BetaGeoBetaBinom().fit({"frequency": [1, 3], "recency": [2, 2], "T": [4, 4]})
    with pytest.raises(InsufficientDataError, match="monetary"):
        GammaGamma().fit({"frequency": [1, 2, 3], "monetary": [1.0, 0.0, 3.0]})
    with pytest.raises(ConfigError, match="penalizer"):
        BetaGeo(penalizer=-1).fit(good)
    with pytest.raises(ConfigError, match="weights"):
        BetaGeo().fit(good, weights=[1, 2])
    with pytest.raises(ConfigError, match="summary must be"):
        BetaGeo().fit(42)
    with pytest.raises(ConfigError, match="no hyper-parameter"):
        BetaGeo().set_params(alpha=3)


def test_penalizer_shrinks_the_parameters(cdnow):
    plain, pen = BetaGeo().fit(cdnow), BetaGeo(penalizer=0.01).fit(cdnow)
    assert np.sum(values(pen.params_) ** 2) < np.sum(values(plain.params_) ** 2)
    assert pen.log_likelihood_ < plain.log_likelihood_


# ---------------------------------------------------------------------------------------------------------------
# heavy: one million customers, and the store simulator
# ---------------------------------------------------------------------------------------------------------------

def _million(rng: np.random.Generator, n: int = 1_000_000):
    """Customers acquired over two years, summarised in weeks with day precision (as a real summary is)."""
    T = rng.integers(0, 730, n) / 7.0
    s, _ = sim_bgnbd(rng, n, 0.3, 20.0, 0.8, 3.0, T)
    s["recency"] = np.minimum(np.ceil(s["recency"] * 7) / 7, T)
    return s


@pytest.mark.benchmark
@pytest.mark.parametrize("cls", [BetaGeo, ParetoNBD], ids=lambda c: c.__name__)
def test_million_customers_fit_and_predict_fast(cls):
    s = _million(np.random.default_rng(31))
    t0 = time.perf_counter()
    m = cls().fit(s)
    fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    e = m.expected_purchases(26.0, s)
    p = m.p_alive(s)
    predict = time.perf_counter() - t0
    print(f"\n{cls.__name__}: 1,000,000 customers, {m.n_distinct_} distinct tuples, fit {fit:.1f} s, "
          f"expected_purchases + p_alive {predict:.2f} s")
    assert np.all(np.isfinite(e)) and np.all((p >= 0) & (p <= 1))
    assert predict < (1.0 if cls is BetaGeo else 3.0)


@pytest.mark.benchmark
def test_store_simulator_truth_is_recovered():
    """``siyu.simulate``'s exact_btyd scenario (BG/NBD + Gamma-Gamma in calendar days): purchases are recorded as
    days, so several purchases on one day merge and recency is floored to the day; allow 8 % on top of 4 SE."""
    from siyu.simulate import SimulationConfig, simulate_store

    cfg = SimulationConfig.from_scenario("exact_btyd").model_copy(update={"users": 200_000, "seed": 3})
    tables, truth = simulate_store(cfg)
    o = tables["orders"]
    user = np.unique(o.column("user_id").to_numpy(zero_copy_only=False), return_inverse=True)[1].astype(np.int64)
    day = o.column("paid_at").to_numpy(zero_copy_only=False).astype("datetime64[D]").astype(np.int64)
    amount = o.column("amount").cast("float64").to_numpy()
    end = np.datetime64(truth["window"]["end_exclusive"], "D").astype(np.int64) - 1
    key, inv = np.unique(user * 10**6 + day, return_inverse=True)
    day_value = np.bincount(inv, weights=amount)
    u, d = key // 10**6, key % 10**6
    first = np.full(u.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, u, d)
    last = np.zeros(u.max() + 1, np.int64)
    np.maximum.at(last, u, d)
    freq = np.bincount(u) - 1
    rep = d != first[u]
    spend = np.bincount(u[rep], weights=day_value[rep], minlength=len(freq))
    s = {"frequency": freq.astype(float), "recency": (last - first).astype(float), "T": (end - first).astype(float),
         "monetary": np.where(freq > 0, spend / np.maximum(freq, 1), 0.0)}
    m = BetaGeo().fit(s)
    g = GammaGamma().fit(s)
    for model, true in ((m, {k: truth["btyd"][k] for k in ("r", "alpha", "a", "b")}),
                        (g, {"p": truth["gamma_gamma"]["p"], "q": truth["gamma_gamma"]["q"],
                             "v": truth["gamma_gamma"]["gamma"]})):
        for k, v in true.items():
            assert abs(model.params_[k] - v) < 4 * model.standard_errors_[k] + 0.08 * v, (k, model.params_[k], v)


@pytest.mark.parametrize("cls", [BetaGeo, pytest.param(ParetoNBD, marks=pytest.mark.benchmark)])
def test_the_subsample_warm_start_finds_the_same_maximum_as_the_full_search(cls):
    """Above WARM_MIN distinct tuples the search starts at a subsample's maximum: same optimum, same SEs."""
    from siyu.clv import _base

    rng = np.random.default_rng(77)
    T = rng.uniform(1.0, 104.0, 160_000)
    data, _ = sim_bgnbd(rng, len(T), 0.8, 5.0, 0.9, 4.0, T)
    warm = cls().fit(data)
    assert warm.n_distinct_ >= _base.WARM_MIN and warm.converged_
    cold_min, _base.WARM_MIN = _base.WARM_MIN, 10**12  # force the full search
    try:
        cold = cls().fit(data)
    finally:
        _base.WARM_MIN = cold_min
    assert values(warm.params_) == pytest.approx(values(cold.params_), rel=1e-7)
    assert warm.log_likelihood_ == pytest.approx(cold.log_likelihood_, rel=1e-13)
    assert values(warm.standard_errors_) == pytest.approx(values(cold.standard_errors_), rel=1e-5)
