package received

import (
	"sort"
	"testing"
)

// BenchmarkParse parses the golden lines in turn: a mix of real-shaped
// fields from every MTA family, folding included.
func BenchmarkParse(b *testing.B) {
	lines := goldenLines(b)
	values := make([]string, 0, len(lines))
	bytes := 0
	for _, v := range lines {
		values = append(values, v)
	}
	sort.Strings(values)
	for _, v := range values {
		bytes += len(v)
	}
	b.SetBytes(int64(bytes / len(values)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Parse(values[i%len(values)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkBuildChain measures a typical 6-hop chain.
func BenchmarkBuildChain(b *testing.B) {
	fields := []Field{
		{Value: "from mail.example.org ([127.0.0.1]) by localhost (mail.example.org [127.0.0.1]) (amavisd-new, port 10024) with ESMTP id 3CpL4nm3Z4lW for <bob@example.org>; Mon, 14 Apr 2008 17:03:17 +0200 (CEST)"},
		{Value: "from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonses.com [54.240.8.30]) by mx.example.org (Postfix) with ESMTPS id 2FD8D41621 for <bounce@example.org>; Mon, 14 Apr 2008 17:03:16 +0200 (CEST)"},
		{Value: "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id p13sor3668128ljj.40.2020.10.26.05.43.29 for <bob@example.com> (Google Transport Security); Mon, 14 Apr 2008 08:03:14 -0700 (PDT)"},
		{Value: "by 2002:a05:6a10:8d0e:b0:4d1:f2a3:6b7c with SMTP id y30csp895790nnd; Mon, 14 Apr 2008 08:03:13 -0700 (PDT)"},
		{Value: "from EX01.corp.example.com (10.1.2.3) by EX02.corp.example.com (10.1.2.4) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.6; Mon, 14 Apr 2008 11:03:12 -0400"},
		{Value: "(qmail 12345 invoked from network); 14 Apr 2008 15:03:11 -0000"},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		BuildChain(fields)
	}
}
