#!/usr/bin/perl
# Baseline: Debian's libsisimai-perl over the same corpus, one process, N passes. Prints messages/second.
# usage: perl bench/sisimai.pl CORPUS_DIR [PASSES]
use strict; use warnings;
use Sisimai; use File::Find; use Time::HiRes qw(time);
my ($dir, $passes) = (@ARGV, 20); $passes = $ARGV[1] // 3;
my @files; find(sub { push @files, $File::Find::name if /\.eml$/ }, $dir);
my @texts = map { local $/; open my $fh, '<:raw', $_ or die "$_: $!"; my $t = <$fh>; $t } sort @files;
my $n = 0; my $t0 = time;
for (1 .. $passes) { for my $t (@texts) { my $r = Sisimai->make(\$t, 'delivered' => 1); $n++ } }
my $dt = time - $t0;
printf "%-28s %10.0f msg/s  (%d messages x %d passes in %.2f s)\n", "Sisimai (perl $Sisimai::VERSION)", $n / $dt, scalar(@texts), $passes, $dt;
