# Figures of symgnn-explain-stats output:
#   gnuplot -c explain-figures.gp DIR OUTDIR
# reads DIR/stats_{distance,hop,rings}.dat and writes OUTDIR/explain-distance.png (distance
# from the target of the atoms on important edges vs all subgraph atoms, fraction per 0.5 A),
# OUTDIR/explain-hop.png (hop of important vs all edges) and OUTDIR/explain-rings.png (mean
# number of primitive rings through important, random, median and least important edges) and
# OUTDIR/explain-h1.png (mean number of H1 loops through them, from DIR/stats_h1.dat).
if (ARGC < 2) { print "usage: gnuplot -c explain-figures.gp DIR OUTDIR"; exit status 2 }
dir = ARG1
out = ARG2
set terminal pngcairo size 900,600 font "sans,12"

set output out."/explain-distance.png"
set title "Distance from the target atom"
set xlabel "distance from the target (Angstrom)"
set ylabel "fraction per 0.5 Angstrom bin"
set xrange [0:25]
set key top right
set style fill transparent solid 0.5 noborder
plot dir."/stats_distance.dat" using (($1+$2)/2):3 with boxes lc rgb "#c03020" \
       title "atoms on the top-10 edges", \
     "" using (($1+$2)/2):4 with boxes lc rgb "#3060c0" title "all atoms of the subgraphs"

set output out."/explain-hop.png"
set title "Hop of the edges (larger hop of the two ends)"
set xlabel "hop"
set ylabel "fraction of edges"
set xrange [-0.5:4.5]
set boxwidth 0.4
plot dir."/stats_hop.dat" using ($1-0.2):2 with boxes lc rgb "#c03020" title "top-10 edges", \
     "" using ($1+0.2):3 with boxes lc rgb "#3060c0" title "all edges"

set output out."/explain-rings.png"
set title "Primitive rings through an edge (bond graph)"
set xlabel ""
set ylabel "mean number of shortest rings"
set xrange [-0.5:3.5]
set yrange [0:*]
set boxwidth 0.6
set style fill solid 0.7 noborder
unset key
plot dir."/stats_rings.dat" index 1 using 2:3:xtic(1) with boxes lc rgb "#c03020"

set output out."/explain-h1.png"
set title "H1 loops (alpha filtration, GUDHI) through an edge"
set ylabel "mean number of loops"
plot dir."/stats_h1.dat" using 2:3:xtic(1) with boxes lc rgb "#c03020"
