#!/usr/bin/perl
# Whole-process baseline: Debian's libsisimai-perl over every .eml file under a folder, one line per file on stdout
# (file, then address and reason per recipient), as `herald bounces classify --json` does for the same folder.
# usage: perl bench/sisimai-process.pl DIR
use strict; use warnings;
use Sisimai; use File::Find;
my @files; find(sub { push @files, $File::Find::name if /\.eml$/ }, $ARGV[0]);
binmode STDOUT;
for my $f (sort @files) {
    my $r = Sisimai->make($f, 'delivered' => 1) || [];
    print join("\t", $f, map { $_->recipient->address . ' ' . $_->reason } @$r), "\n";
}
