#pragma once
#include "nuq/io/missing.hpp"  // no such header
