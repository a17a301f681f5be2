; Every record type namae declares, with comments, parentheses, escapes,
; TTL units and inheritance. Loads in named-checkzone and namae alike.
$TTL 1h
$ORIGIN example.com.
@       IN  SOA ns1 hostmaster\.admin (
                2024060101 ; serial
                2h         ; refresh
                30M        ; retry
                2w         ; expire
                1h30m )    ; minimum
        IN  NS  ns1
            NS  ns2.example.com.
        MX  10 mail
        MX  20 mail.example.net.
        TXT "v=spf1 mx -all"
        CAA 0 issue "letsencrypt.org"
        CAA 128 iodef "mailto:security@example.com"
ns1     300 IN A    192.0.2.1
        IN 300 AAAA 2001:db8::1
ns2     A      192.0.2.2
mail    A      192.0.2.25
        AAAA   2001:DB8:0:0:0:0:0:25
www     CNAME  @
ftp     CNAME  www.example.com.
txt     TXT    "quoted \"string\"" unquoted "semi;colon" "back\\slash" "\065\066C" ""
        TXT    ( "multi"
                 "line" )
long    TXT    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789abcde"
spf     SPF    "v=spf1 -all"
hinfo   HINFO  "PC-Intel-700mhz" "Linux 2.4"
ptr     PTR    www
rp      RP     admin.example.com. txt
afsdb   AFSDB  1 afs.example.com.
_sip._tcp SRV  10 60 5060 mail
_ldap._tcp SRV 0 0 389 .
naptr   NAPTR  100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
        NAPTR  102 10 "S" "SIP+D2U" "" _sip._udp.example.com.
dname   DNAME  example.net.
uri     URI    10 1 "ftp://ftp1.example.com/public"
sshfp   SSHFP  2 1 123456789abcdef67890123456789abcdef67890
        SSHFP  4 2 ( 0123456789abcdef0123456789abcdef
                     0123456789abcdef0123456789abcdef )
_443._tcp.www TLSA 3 1 1 ( 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6 )
smimea  SMIMEA 3 0 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
dhcid   DHCID  AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=
pgp     OPENPGPKEY mDMEYYB/thYJKwYBBAHaRw8BAQdAwVc5fqLdqsG6jAJKNtDCS/LIjw6PQ8c9xcWHgbZwNbG0
sub     NS     ns.sub
        DS     12345 13 2 ( 2BB183AF5F22588179A53B0A98631FAD
                            2BB183AF5F22588179A53B0A98631FAD )
ns.sub  A      192.0.2.53
cds     CDS    12345 13 2 2BB183AF5F22588179A53B0A98631FAD2BB183AF5F22588179A53B0A98631FAD
key     DNSKEY 257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
        RRSIG  DNSKEY 13 3 3600 20300101000000 20240101000000 12345 example.com. ( 
                  mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
cdnskey CDNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
nsec    NSEC   nsec3.example.com. A MX RRSIG NSEC TYPE1234
nsec3   NSEC3  1 1 12 aabbccdd ( 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG )
        NSEC3PARAM 1 0 12 aabbccdd
csync   CSYNC  66 3 A NS AAAA
zonemd  ZONEMD 2018031500 1 1 ( FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE )
kx      KX     10 mail
px      PX     10 map822.example.com. mapx400.example.com.
rt      RT     20 ns1
minfo   MINFO  rp.example.com. txt.example.com.
unk     TYPE65280 \# 4 0A000001
        TYPE65281 \# 0
a-generic A    \# 4 C0000201
wild    A      192.0.2.80
*.wild  A      192.0.2.81
esc\.aped A    192.0.2.82
\@sign  TXT    at
sp\032ace TXT  "space in owner"
UPPER   A      192.0.2.83
upper   A      192.0.2.84
x       7200 A 192.0.2.90
        A      192.0.2.91
$TTL 1d
y       A      192.0.2.92
