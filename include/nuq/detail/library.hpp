#pragma once
// How nuq's run-time-dispatched bodies reach a program. By default they are compiled once in
// the nuq library (the src/ folder) and the headers only declare them, so a user translation
// unit does not instantiate every quantizer and format. With NUQ_HEADER_ONLY defined (CMake
// option NUQ_HEADER_ONLY), each such header includes its *_impl.hpp and the bodies are inline.
#ifdef NUQ_HEADER_ONLY
#define NUQ_INLINE inline
#else
#define NUQ_INLINE
#endif
