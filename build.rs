// Exposes PyO3's `Py_3_x` / `Py_GIL_DISABLED` cfgs to the crate: the JSON serializer reads
// CPython objects whose layout changed between versions (int in 3.12).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
