package broker_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
)

const brokerVPCE = "vpce-0b0b0b0b0b0b0b0b0"

// get fetches a presigned URL from this process (peer 127.0.0.1), as a
// browser on the broker's machine would, and returns the status and page.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A pinned URL works from the address that asked for it and is refused
// from any other, by the emulator's IAM evaluation of the session policy on
// the page request; the broker's own presign call, from its VPC endpoint,
// still succeeds.
func TestPinnedURLWorksOnlyFromTheClient(t *testing.T) {
	pin := &broker.Pin{BrokerVPCEs: []string{brokerVPCE}, ClientAddress: true}
	r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	open := func(clientIP string) broker.OpenResult {
		t.Helper()
		m := meta
		m.ClientIP = clientIP
		res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: m})
		if err != nil {
			t.Fatalf("open from %s: %v", clientIP, err)
		}
		return res
	}
	if status, page := get(t, open("127.0.0.1").URL); status != http.StatusOK || !strings.Contains(page, "fraud-alice") {
		t.Errorf("the URL pinned to 127.0.0.1, used from 127.0.0.1: %d\n%s", status, page)
	}
	if status, page := get(t, open("192.0.2.7").URL); status != http.StatusForbidden || !strings.Contains(page, "Access denied") {
		t.Errorf("the URL pinned to 192.0.2.7, used from 127.0.0.1: %d\n%s", status, page)
	}
	if n := r.emu.Calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls for two client addresses, want one session each", n)
	}

	// The control: the same rig unpinned serves the second case.
	r = newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE})
	res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, res.URL); status != http.StatusOK {
		t.Errorf("unpinned URL from another address: %d", status)
	}
}

// The pin's broker network is evaluated too: a broker that names the wrong
// VPC endpoint gets no URL at all, rather than an unpinned one.
func TestPinWrongBrokerNetworkRefusesThePresign(t *testing.T) {
	pin := &broker.Pin{BrokerVPCEs: []string{"vpce-0a0a0a0a0a0a0a0a0"}, ClientAddress: true}
	r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if e := api.As(err); e.Code != api.CodeAWSDenied {
		t.Fatalf("open with the broker pinned to another endpoint: %v, want aws_denied", err)
	}
}

// An IPv6 client is pinned to its /64 by default, or to its address; an
// address that is not one refuses the open.
func TestPinIPv6AndBadAddresses(t *testing.T) {
	for _, c := range []struct {
		prefix int
		want   string
	}{{0, "2001:db8:1:2::/64"}, {128, "2001:db8:1:2::7/128"}} {
		pin := &broker.Pin{BrokerIPs: []string{"203.0.113.0/24"}, ClientAddress: true, IPv6Prefix: c.prefix}
		policy, err := broker.SessionPolicy(pin, "2001:db8:1:2::7")
		if err != nil || !strings.Contains(policy, `"aws:SourceIp":["`+c.want+`"]`) || !strings.Contains(policy, `"aws:SourceIp":["203.0.113.0/24"]`) {
			t.Errorf("prefix %d: %s %v", c.prefix, policy, err)
		}
	}
	pin := &broker.Pin{BrokerVPCEs: []string{brokerVPCE}, ClientAddress: true}
	r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	m := meta
	m.ClientIP = "not-an-address"
	_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: m})
	if e := api.As(err); e.Code != api.CodeInternal || !strings.Contains(e.Message, "cannot pin") {
		t.Fatalf("open from an unparseable address: %v", err)
	}
	if n := r.emu.Calls("AssumeRole"); n != 0 {
		t.Errorf("%d AssumeRole calls for an open that could not be pinned", n)
	}
}

// A Studio URL is pinned like a notebook's: AWS evaluates the presigner's
// policy on every request made with it, CreatePresignedDomainUrl included.
func TestPinnedStudioURLWorksOnlyFromTheClient(t *testing.T) {
	pin := &broker.Pin{BrokerVPCEs: []string{brokerVPCE}, ClientAddress: true}
	r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	open := func(clientIP string) broker.OpenResult {
		t.Helper()
		m := meta
		m.ClientIP = clientIP
		res, err := r.b.OpenStudio(context.Background(), bob, broker.StudioRequest{RequestMeta: m})
		if err != nil {
			t.Fatalf("Studio open from %s: %v", clientIP, err)
		}
		return res
	}
	if status, page := get(t, open("127.0.0.1").URL); status != http.StatusOK || !strings.Contains(page, `<span id="user-profile">bob</span>`) {
		t.Errorf("the Studio URL pinned to 127.0.0.1, used from 127.0.0.1: %d\n%s", status, page)
	}
	if status, _ := get(t, open("192.0.2.7").URL); status != http.StatusForbidden {
		t.Errorf("the Studio URL pinned to 192.0.2.7, used from 127.0.0.1: %d, want 403", status)
	}
}

// With pinning, a status poll uses the open's session (pinned to the same
// client), so waiting for a notebook costs no AssumeRole of its own.
func TestPinnedStatusPollsShareTheOpensSession(t *testing.T) {
	pin := &broker.Pin{BrokerVPCEs: []string{brokerVPCE}, ClientAddress: true}
	r := newRigOpts(t, fraudStarts(t), rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	ctx := context.Background()
	if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	before := r.emu.Calls("AssumeRole")
	for range 3 {
		if _, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.emu.Calls("AssumeRole") - before; n != 0 {
		t.Errorf("3 status polls from the opening client made %d AssumeRole calls, want 0", n)
	}
}

// With pinning, the start page's list takes the session an open from the
// same client takes, so the open after it needs no AssumeRole; a list from
// another address is another session.
func TestPinnedListSharesTheOpensSession(t *testing.T) {
	pin := &broker.Pin{BrokerVPCEs: []string{brokerVPCE}, ClientAddress: true}
	r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: brokerVPCE, limits: broker.Config{Pin: pin}})
	ctx := context.Background()
	if _, err := r.b.List(ctx, alice, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Calls("AssumeRole"); n != 1 {
		t.Errorf("a list and an open from one client made %d AssumeRole calls, want 1", n)
	}
	other := meta
	other.ClientIP = "192.0.2.99"
	if _, err := r.b.List(ctx, alice, other); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Calls("AssumeRole"); n != 2 {
		t.Errorf("a list from another address made %d AssumeRole calls in all, want 2", n)
	}
}
