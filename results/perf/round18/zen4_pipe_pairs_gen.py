# Round 18: writes kops.cpp, two 512-bit instructions alternating on 12 registers (inline assembly),
# instructions per cycle at 3.65 GHz: g++ -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl kops.cpp.
# The output is zen4_pipe_pairs.txt (its later lines: the intrinsics forms of the same test).
ins = {
 "add": "vaddps %%zmm20, {r}, {r}",
 "mul": "vmulps %%zmm20, {r}, {r}",
 "permps": "vpermps %%zmm20, {r}, {r}",
 "vpcmpud": "vpcmpud $5, %%zmm20, {r}, %%k{k}",
 "vptestmd": "vptestmd %%zmm20, {r}, %%k{k}",
 "vpmovd2m": "vpmovd2m {r}, %%k{k}",
 "vcmpps": "vcmpps $4, %%zmm20, {r}, %%k{k}",
 "mask_paddd": "vpaddd %%zmm20, {r}, {r}%{{%%k1%}}",
 "vpermi2ps": "vpermi2ps %%zmm20, %%zmm21, {r}",
 "vrangeps": "vrangeps $2, %%zmm20, {r}, {r}",
 "vfpclass": "vfpclassps $0x99, {r}, %%k{k}",
}
pairs=[("vpcmpud","vpcmpud"),("vptestmd","vptestmd"),("vpmovd2m","vpmovd2m"),("vcmpps","vcmpps"),
       ("vpcmpud","add"),("vpcmpud","mul"),("vpcmpud","permps"),
       ("vptestmd","add"),("vptestmd","mul"),("vptestmd","permps"),
       ("vpmovd2m","add"),("vpmovd2m","mul"),("vpmovd2m","permps"),
       ("vcmpps","add"),("vcmpps","mul"),("vcmpps","permps"),
       ("mask_paddd","mask_paddd"),("mask_paddd","add"),("mask_paddd","mul"),("mask_paddd","permps"),
       ("vpermi2ps","vpermi2ps"),("vpermi2ps","add"),("vpermi2ps","mul"),("vrangeps","mul"),("vrangeps","permps"),("vfpclass","add"),("vfpclass","mul")]
src=['#include <cstdio>','#include <chrono>']
for i,(a,b) in enumerate(pairs):
    body=[]
    for r in range(12):
        op = ins[a] if r%2==0 else ins[b]
        body.append(op.format(r=f"%%zmm{r}", k=2+(r%6)))
    asm = "\\n\\t".join(body)
    src.append(f'__attribute__((noinline)) void f{i}(long n){{ for(long j=0;j<n;j++) __asm__ volatile("{asm}" ::: "memory"); }}')
src.append('int main(){ __asm__ volatile("vpxord %%zmm20,%%zmm20,%%zmm20\\n\\tkxnorw %%k1,%%k1,%%k1" ::: "memory");')
for i,(a,b) in enumerate(pairs):
    src.append(f'{{ long n=4000000; auto t0=std::chrono::steady_clock::now(); f{i}(n); auto t1=std::chrono::steady_clock::now(); double ns=std::chrono::duration<double,std::nano>(t1-t0).count()/(n*12.0); printf("%-22s %.2f instr/cycle\\n","{a}+{b}",1.0/(ns*3.65)); }}')
src.append('}')
open('kops.cpp','w').write('\n'.join(src))
