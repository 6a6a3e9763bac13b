# anneal-mean-eb.png from eb-vs-time.dat (fix ave/time of in.anneal): mean EB of all atoms, of
# Cu and of Zr against time (left axis, eV) and the fraction of atoms below the threshold
# (right axis). Run in the output directory: gnuplot -c plot-mean.gp
set terminal pngcairo size 1000,650 font "sans,12"
set output "anneal-mean-eb.png"
set title "Anneal below Tg: EB of the thermal configurations (fix ave/time of compute symgnn/eb)"
set xlabel "time (ps)"
set ylabel "mean energy barrier (eV)"
set y2label "fraction of atoms below the EB threshold"
set y2tics
set ytics nomirror
set key outside bottom center horizontal
plot "eb-vs-time.dat" using 2:4 with linespoints pt 7 ps 0.6 lw 2 lc rgb "black" title "all", \
     "" using 2:5 with lines lw 2 lc rgb "#2c7bb6" title "Cu", \
     "" using 2:6 with lines lw 2 lc rgb "#d7191c" title "Zr", \
     "" using 2:7 axes x1y2 with lines lw 1 dt 2 lc rgb "#555555" title "fraction below threshold (right axis)"
