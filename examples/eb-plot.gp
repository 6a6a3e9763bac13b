# EB pictures from a LAMMPS dump with the columns `id type x y z c_eb` (type 1 = Cu, 2 = Zr;
# one frame; EB in eV):
#   gnuplot -c eb-plot.gp DUMP PREFIX [TITLE]
# writes PREFIX-map.png, a map of a 5 A thick slice through the middle of the box in z
# (x-y view, framed to the box whatever its size; Cu circles, Zr squares; colour = EB on the
# fixed scale 0.5-2.5 eV, the same in every picture so that pictures can be compared; values
# outside it take the end colours), and PREFIX-hist.png, the EB histogram of all Cu and all Zr
# atoms (fraction of each species per 0.05 eV bin).
if (ARGC < 2) { print "usage: gnuplot -c eb-plot.gp DUMP PREFIX [TITLE]"; exit status 2 }
dump = ARG1
prefix = ARG2
title = (ARGC >= 3) ? ARG3 : dump
ebmin = 0.5; ebmax = 2.5; slab = 5.0; binw = 0.05

set terminal pngcairo size 900,800 font "sans,12"
# the 9 header lines of a LAMMPS dump frame
stats dump every ::9 using 5 nooutput
zmid = (STATS_min + STATS_max) / 2
stats dump every ::9 using 2 nooutput
if (STATS_records < 1) { print "eb-plot.gp: no atoms in ".dump; exit status 1 }
stats dump every ::9 using (($2 == 1) ? 1 : 0) nooutput
ncu = STATS_sum
nzr = STATS_records - ncu
stats dump every ::9 using 6 nooutput
ebmean = STATS_mean

set output prefix."-map.png"
set title sprintf("%s\nEB map: slice %.0f A thick at z = %.1f A; mean EB %.3f eV", \
    title, slab, zmid, ebmean) noenhanced
set size ratio -1
set xlabel "x (A)"
set ylabel "y (A)"
set cbrange [ebmin:ebmax]
set cblabel "energy barrier EB (eV)"
set palette defined (0 "#2c3e9f", 0.35 "#5fb0d6", 0.5 "#f2f2f2", 0.65 "#f4a261", 1 "#b2182b")
set key outside bottom center horizontal
inslab(z) = abs(z - zmid) < slab / 2
plot dump every ::9 using (($2 == 1 && inslab($5)) ? $3 : 1/0):4:6 \
       with points pt 7 ps 1.6 lc palette title "Cu (circles)", \
     dump every ::9 using (($2 == 2 && inslab($5)) ? $3 : 1/0):4:6 \
       with points pt 5 ps 2.0 lc palette title "Zr (squares)"

set output prefix."-hist.png"
unset size
set size noratio
set title sprintf("%s\nEB histogram: %d Cu, %d Zr atoms; mean EB %.3f eV", \
    title, ncu, nzr, ebmean) noenhanced
set xlabel "energy barrier EB (eV)"
set ylabel sprintf("fraction of the species' atoms per %.2f eV", binw)
set xrange [0:3]
set yrange [0:*]
unset cbrange
unset cblabel
unset colorbox
set key inside top right vertical
set style fill transparent solid 0.5
set boxwidth binw
bin(e) = binw * (floor(e / binw) + 0.5)
# every atom contributes to the bins (0 for the other species): an undefined value would split
# the data into pieces that `smooth frequency` sums separately
plot dump every ::9 using (bin($6)):(($2 == 1) ? 1.0 / ncu : 0.0) smooth frequency \
       with boxes lc rgb "#2c7bb6" title "Cu", \
     dump every ::9 using (bin($6)):(($2 == 2) ? 1.0 / nzr : 0.0) smooth frequency \
       with boxes lc rgb "#d7191c" title "Zr"
