# shear-curve.png from shear.dat (in.shear): shear stress (left axis) and mean EB (right axis)
# against the shear strain. Run in the output directory: gnuplot -c plot-shear.gp
set terminal pngcairo size 1000,650 font "sans,12"
set output "shear-curve.png"
set title "AQS shear of a Cu64Zr36 glass: stress and mean EB of the inherent structures"
set xlabel "shear strain (change of the xy tilt / ly)"
set ylabel "shear stress (GPa)"
set y2label "mean energy barrier (eV)"
set y2tics
set ytics nomirror
set key outside bottom center horizontal
plot "shear.dat" using 1:2 with linespoints pt 7 ps 0.8 lw 2 lc rgb "black" title "shear stress", \
     "" using 1:3 axes x1y2 with linespoints pt 5 ps 0.8 lw 2 lc rgb "#d7191c" title "mean EB (right axis)"
