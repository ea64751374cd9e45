#pragma once
// calibration_report: what --report (oneshot_options::report) says about one quantized Linear.
#include <optional>
#include <string>

namespace nuq::pipeline {

/// What --report says about one quantized Linear.
struct calibration_report {
    std::string algorithm;               ///< "GPTQ" when GPTQ quantized it (else RTN at write)
    std::string smoothed_by;             ///< "AWQ" or "SmoothQuant" when one balanced it
    std::optional<double> gptq_loss;     ///< as llm-compressor logs it
    std::optional<double> awq_loss;      ///< best parent-output MSE of the mapping that balanced it
    std::optional<double> awq_initial_loss;
    bool gptq_fell_back = false;
    std::string scheme, format;          ///< filled by the writer
    std::optional<double> weight_sqnr_db;        ///< 10·log10(Σw² / Σ(w−q)²), w before quantization
    std::optional<double> output_relative_error; ///< ‖X(w−q)ᵀ‖ / ‖Xwᵀ‖ on the calibration inputs
};

} // namespace nuq::pipeline
