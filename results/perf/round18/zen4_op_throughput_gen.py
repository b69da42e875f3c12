# Round 18: writes ops.cpp, 12 independent chains of one 512-bit instruction (intrinsics), ns per
# instruction: g++ -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vbmi ops.cpp. The output
# is zen4_op_throughput.txt ("cyc@3.7": at 3.7 GHz nominal; the measured clock is 3.65 GHz).
ops = {
    "add": ("f", "X=_mm512_add_ps(X,tf)"),
    "range": ("f", "X=_mm512_range_ps(X,tf,0x0b)"),
    "max": ("f", "X=_mm512_max_ps(X,tf)"),
    "mul": ("f", "X=_mm512_mul_ps(X,tf)"),
    "fma": ("f", "X=_mm512_fmadd_ps(X,tf,tf)"),
    "div": ("f", "X=_mm512_div_ps(tf,X)"),
    "and": ("f", "X=_mm512_and_ps(X,tf)"),
    "permd": ("i", "X=_mm512_permutexvar_epi32(X,t)"),
    "permps": ("f", "X=_mm512_permutexvar_ps(_mm512_castps_si512(X),tf)"),
    "perm2ps": ("f", "X=_mm512_permutex2var_ps(tf,_mm512_castps_si512(X),tf2)"),
    "permb": ("i", "X=_mm512_permutexvar_epi8(X,t)"),
    "perm2b": ("i", "X=_mm512_permutex2var_epi8(t,X,t2)"),
    "unpcklbw": ("i", "X=_mm512_unpacklo_epi8(X,t)"),
    "psrld": ("i", "X=_mm512_srli_epi32(X,3)"),
    "maskadd": ("i", "X=_mm512_mask_add_epi32(X,(__mmask16)0x5555,X,t)"),
    "cmpk_then_maskadd(2op)": ("i", "X=_mm512_mask_add_epi32(X,_mm512_cmp_epu32_mask(X,t,_MM_CMPINT_NLT),X,t)"),
    "movd2m_maskor(2op)": ("i", "X=_mm512_mask_or_epi32(X,_mm512_movepi32_mask(X),X,t)"),
    "testm_maskor(2op)": ("i", "X=_mm512_mask_or_epi32(X,_mm512_test_epi32_mask(X,t),X,t)"),
    "pmovdb": ("i", "X=_mm512_castsi128_si512(_mm512_cvtepi32_epi8(X))"),
    "fpclass_maskor(2op)": ("f", "X=_mm512_castsi512_ps(_mm512_mask_or_epi32(_mm512_castps_si512(X),"
                                 "_mm512_fpclass_ps_mask(X,0x99),_mm512_castps_si512(X),t))"),
    "blendb": ("i", "X=_mm512_mask_blend_epi8((__mmask64)0x5555555555555555ull,X,t)"),
    "sqrt": ("f", "X=_mm512_sqrt_ps(X)"),
}
src = ["#include <immintrin.h>", "#include <cstdio>", "#include <chrono>", "volatile float sink;"]
for i, (name, (kind, body)) in enumerate(ops.items()):
    vec = "__m512" if kind == "f" else "__m512i"
    lines = [f"__attribute__((noinline)) void f{i}(long n) {{",
             "  __m512i t = _mm512_set1_epi32(0x3f812345), t2 = _mm512_set1_epi32(0x3f800011);",
             "  __m512 tf = _mm512_castsi512_ps(t), tf2 = _mm512_castsi512_ps(t2); (void)tf2; (void)t2; (void)tf;"]
    for r in range(12):
        init = f"_mm512_set1_ps(1.0f + {r} * 0.01f)" if kind == "f" else f"_mm512_set1_epi32({r})"
        lines.append(f"  {vec} x{r} = {init};")
    lines.append("  for (long j = 0; j < n; j++) {")
    lines += ["    " + body.replace("X", f"x{r}") + ";" for r in range(12)]
    lines.append("  }")
    cast = (lambda r: f"x{r}") if kind == "f" else (lambda r: f"_mm512_castsi512_ps(x{r})")
    lines.append("  sink = " + " + ".join(f"_mm512_reduce_add_ps({cast(r)})" for r in range(12)) + ";\n}")
    src.append("\n".join(lines))
src.append("int main() {")
for i, name in enumerate(ops):
    src.append(f'  {{ long n = 4000000; auto t0 = std::chrono::steady_clock::now(); f{i}(n); '
               f'auto t1 = std::chrono::steady_clock::now(); double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / (n * 12.0); '
               f'printf("%-24s %.3f ns/op %.2f cyc@3.7\\n", "{name}", ns, ns * 3.7); }}')
src.append("}")
open("ops.cpp", "w").write("\n".join(src))
