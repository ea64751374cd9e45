#pragma once
// inverse_factor: the upper Cholesky factor U of H⁻¹ (UᵀU = H⁻¹) that GPTQ's column loop
// reads, computed as the reference does (docs/ALGORITHMS.md §4.5 step 8): lower Cholesky of H,
// cholesky_inverse, upper Cholesky of the inverse, all fp32, through LAPACK (spotrf, spotri).
#include <cmath>
#include <cstdint>
#include <string>

#include <xtensor-blas/xlapack.hpp>
#include <xtensor/xtensor.hpp>

namespace nuq::calib {

/// Whether inverse_factor succeeded, and if not, which step failed and why.
struct factor_status {
    bool ok = true;
    std::string failure; ///< empty when ok
};

/// In place: h, symmetric positive definite [n, n] row-major (only its upper triangle is read),
/// becomes U, upper triangular. On failure (what torch reports as a LinAlgError: a matrix that
/// is not positive definite, or a singular factor) h holds garbage.
inline factor_status inverse_factor(xt::xtensor<float, 2>& h) {
    using idx = xt::blas_index_t;
    auto const n = static_cast<idx>(h.shape(0));
    float* a = h.data();
    // LAPACK is column-major: it sees the row-major buffer transposed. 'L' on that view is the
    // row-major upper triangle, and the lower factor it writes reads, row-major, as its
    // transpose: after the second potrf the buffer holds U row-major.
    auto factor = [&](char const* what) -> factor_status {
        idx const info = cxxlapack::potrf<idx>('L', n, a, n);
        // reference LAPACK (and so torch) also rejects a NaN pivot; OpenBLAS's potrf may not
        for (idx j = 0; info == 0 && j < n; ++j)
            if (!(a[j * n + j] > 0) || !std::isfinite(a[j * n + j]))
                return {false, std::string(what) + ": pivot " + std::to_string(j + 1) +
                                   " is not a finite positive number"};
        if (info == 0) return {};
        return {false, std::string(what) + ": the leading minor of order " +
                           std::to_string(info) + " is not positive definite"};
    };
    if (auto s = factor("Cholesky factorization of the Hessian"); !s.ok) return s;
    if (idx const info = cxxlapack::potri<idx>('L', n, a, n); info != 0)
        return {false, "inverse from the Cholesky factor: factor element " +
                           std::to_string(info) + " is zero"};
    if (auto s = factor("Cholesky factorization of the inverse Hessian"); !s.ok) return s;
    for (idx i = 1; i < n; ++i) // the row-major lower triangle still holds H
        for (idx j = 0; j < i; ++j) a[i * n + j] = 0;
    return {};
}

} // namespace nuq::calib
