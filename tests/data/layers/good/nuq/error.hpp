#pragma once
// check_layers fixture (good): every include here is allowed and there is no cycle.
