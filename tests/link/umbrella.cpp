// The umbrella header alone in a translation unit: check_symbols.cmake then asserts that the
// object defines no strong external symbol, so any number of TUs can include vasostat.hpp and
// link (a non-inline function or variable defined in a header would be a strong symbol here).
#include <vasostat/vasostat.hpp>
