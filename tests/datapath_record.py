#!/usr/bin/env python3
"""Records tests/datapath_libesmtp_{data,bdat}.txt against libESMTP 1.1.0.

usage: datapath_record.py SEED COUNT SCENARIO OUT
  SCENARIO: x_dataplain.json (DATA) or x_chunkonly.json (BDAT), from
  /work/shared/spec/observe/scenarios; needs /tmp/dp/probe2 built from
  datapath_record.c. Seeds used: 7 150 (DATA), 8 100 (BDAT). A run that
  races the server start shows as a line without "rewind": rerun it."""
import random, subprocess, socket, sys, time, os
O='/work/shared/spec/observe'
random.seed(int(sys.argv[1]))
N=int(sys.argv[2]); scen=sys.argv[3]; out=open(sys.argv[4],'w')
TOK=[b"X: a",b"Y:b",b".",b"..",b"\r\n",b"\r\n",b"\r\n",b"\r",b"\n",b" ",b"\t",b"z",b"\r\n."]
for case in range(N):
    k=random.randint(0,12)
    inp=b"".join(random.choice(TOK) for _ in range(k))
    piece=random.choice([0,1,2,3,4,5,7,11])
    s=socket.socket(); s.bind(("127.0.0.1",0)); port=s.getsockname()[1]; s.close()
    for f in ('/tmp/dp/server2.log','/tmp/dp/ready2'):
        try: os.remove(f)
        except FileNotFoundError: pass
    srv=subprocess.Popen(['python3',f'{O}/fakesmtp.py',f'{O}/scenarios/{scen}','/tmp/dp/server2.log',f'127.0.0.1:{port}'],stdout=open('/tmp/dp/ready2','w'))
    while 'ready' not in open('/tmp/dp/ready2').read(): time.sleep(0.05)
    r=subprocess.run(['/tmp/dp/probe2',f'127.0.0.1:{port}',inp.hex(),str(piece)],capture_output=True,text=True)
    srv.wait()
    toks=r.stdout.split()
    # drop generated headers: an event followed by G
    seq=[]
    for t in toks:
        if t=='G': seq.pop(); continue
        if t=='H': continue
        seq.append(t)
    wire=b''
    if scen=='x_dataplain.json':
        import re
        for l in open('/tmp/dp/server2.log'):
            if not l.startswith('C| '): continue
            l=l[3:].rstrip('\n')
            nocrlf=l.endswith('  <no CRLF>')
            if nocrlf: l=l[:-len('  <no CRLF>')]
            b=bytearray(); i=0
            while i < len(l):
                if l[i]=='\\' and l[i+1:i+2]=='n': b+=b'\n'; i+=2
                elif l[i]=='\\' and l[i+1:i+2]=='x': b.append(int(l[i+2:i+4],16)); i+=4
                else: b+=l[i].encode('latin1'); i+=1
            if not nocrlf: b+=b'\r\n'
            if b.startswith(b'Date: ') or b==b'From: a@x\r\n' or b==b'Message-Id: <fixed@x>\r\n': continue
            wire+=bytes(b)
        wire+=b'.\r\n'
    out.write(f"{inp.hex()} {piece} {wire.hex() or '-'} {' '.join(seq)}\n")
    out.flush()
