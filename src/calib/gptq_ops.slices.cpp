// gptq_ops<Q> for the quantizers of slice NUQ_SLICE (see ../quantizer_slices.hpp).
#include "nuq/calib/gptq_ops_impl.hpp"

#include "../quantizer_slices.hpp"

#define NUQ_INSTANTIATE(Q) template struct nuq::calib::gptq_ops<Q>;
NUQ_FOR_EACH_QUANTIZER_OF_SLICE(NUQ_INSTANTIATE)
